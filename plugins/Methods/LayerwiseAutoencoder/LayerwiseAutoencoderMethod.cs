using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.LayerwiseAutoencoder;

/// <summary>Options of the <c>layerwise-autoencoder</c> method.</summary>
public sealed record LayerwiseAutoencoderOptions : PluginOptions
{
    /// <summary>Epochs each encoder stage is trained alone, reconstructing its own input with the earlier stages frozen.</summary>
    [Range(0.0, 10_000.0)]
    public double StageEpochs { get; init; } = 1;

    /// <summary>Whether the run ends by training the whole stack end to end (every stage and decoder, reconstructing the image) for the remaining epochs.</summary>
    public bool FineTune { get; init; } = true;

    /// <summary>Adam learning rate when the experiment names no optimizer.</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;
}

/// <summary>
/// Greedy layer-wise pretraining of a stacked convolutional autoencoder (Bengio, Lamblin, Popovici
/// &amp; Larochelle, "Greedy Layer-Wise Training of Deep Networks", NIPS 2006; Vincent et al., JMLR
/// 2010 for stacked autoencoders): each stage of the encoder gets a decoder that maps its output
/// back to its input; stage k is trained to reconstruct stage k-1's output (mean squared error)
/// while stages 1..k-1 are frozen in eval mode, for <c>stage-epochs</c> each; then, with
/// <c>fine-tune</c>, the whole stack reconstructs the image end to end until the run ends. The
/// phase follows the global step, so a resumed run re-enters it; it is logged as <c>phase</c>
/// (1..stages, then stages + 1 for the end-to-end phase).
/// </summary>
[Plugin("layerwise-autoencoder", Summary = "greedy layer-wise stacked autoencoder, then optional end-to-end fine-tuning", Citation = "Bengio et al., NIPS 2006")]
public sealed class LayerwiseAutoencoderMethod(LayerwiseAutoencoderOptions options) : MethodBase
{
    private readonly List<Module> decoders = [];
    private int phase = -1;

    public override MethodNeeds Needs => OneGroup(new(OptimizerKind.Adam, options.Lr));

    private IReadOnlyList<EncoderStage> Stages => Encoder.Stages;

    protected override void Build()
    {
        if (Stages.Count == 0) throw new ArgumentException("layerwise-autoencoder needs an encoder with stages (conv-small, dcgan-discriminator)");
        var input = Setup.Input;
        using (var scope = torch.NewDisposeScope())
        using (ModuleModes.Eval(Encoder))
        using (torch.no_grad())
        {
            var x = torch.zeros([1, input.Channels, input.Height, input.Width], device: Setup.Device);
            var maps = Encoder.FeatureMaps(x);
            for (var i = 0; i < maps.Count; i++)
                decoders.Add(Add($"decoder{i + 1}", Decoder(i == 0 ? x : maps[i - 1], maps[i])));
        }
        Optimize("all", [Encoder, .. decoders]);
    }

    /// <summary>A decoder from a stage's output map back to its input: a transposed convolution sized to invert the stage, or a linear map for a 1x1 output.</summary>
    private static Module Decoder(Tensor stageInput, Tensor stageOutput)
    {
        var (cin, hin, win) = (stageInput.size(1), stageInput.dim() == 4 ? stageInput.size(2) : 1, stageInput.dim() == 4 ? stageInput.size(3) : 1);
        var (cout, hout) = (stageOutput.size(1), stageOutput.size(2));
        if (hout == 1 || stageInput.dim() != 4)
            return new nn.Sequential(new nn.Flatten(), new nn.Linear(cout, cin * hin * win), new nn.Unflatten(1, [cin, hin, win]));
        var stride = (long)Math.Round((double)hin / hout);
        var outputPadding = hin - ((hout - 1) * stride - 2 + 3);
        if (outputPadding < 0 || outputPadding >= stride)
            throw new ArgumentException($"layerwise-autoencoder cannot invert a stage from {hin}x{win} to {hout}");
        return new nn.ConvTranspose2d(cout, cin, 3, stride: stride, padding: 1, output_padding: outputPadding);
    }

    /// <summary>The phase of <paramref name="step"/>: stage index 0..stages-1, or stages for the end-to-end phase.</summary>
    public int PhaseAt(long step)
    {
        var stageSteps = (long)Math.Round(options.StageEpochs * Setup.Plan.StepsPerEpoch);
        var layerwise = stageSteps == 0 ? 0 : (int)Math.Min(step / stageSteps, Stages.Count);
        return layerwise == Stages.Count && !options.FineTune ? Stages.Count - 1 : layerwise;
    }

    /// <summary>Enters <paramref name="next"/>: stages before it frozen in eval mode, the rest trainable in training mode (all of them end to end).</summary>
    private void Enter(int next)
    {
        for (var i = 0; i < Stages.Count; i++)
        {
            var frozen = i < next && next < Stages.Count;
            Stages[i].Module.requires_grad_(!frozen);
            Stages[i].Module.train(!frozen);
        }
        phase = next;
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var next = PhaseAt(context.GlobalStep);
        if (next != phase) Enter(next);
        var x = batch.Original;
        Tensor loss;
        if (phase < Stages.Count)
        {
            var input = x;
            using (torch.no_grad())
                for (var i = 0; i < phase; i++) input = Stages[i].Module.forward(input);
            var output = Stages[phase].Module.forward(input);
            loss = F.mse_loss(decoders[phase].forward(output), input);
        }
        else
        {
            var h = x;
            foreach (var stage in Stages) h = stage.Module.forward(h);
            for (var i = Stages.Count - 1; i >= 0; i--) h = decoders[i].forward(h);
            loss = F.mse_loss(h, x);
        }
        Minimize(Optimizers["all"], loss);
        context.LogLoss(phase < Stages.Count ? $"loss/stage{phase + 1}" : "loss/end-to-end", loss);
        context.Log("phase", phase + 1);
    }
}
