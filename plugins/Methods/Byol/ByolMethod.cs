using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Byol;

/// <summary>Options of the <c>byol</c> method (defaults: the paper's, section 3.3 and appendix J).</summary>
public sealed record ByolOptions : PluginOptions
{
    /// <summary>Hidden width of projector and predictor (the paper's 4096).</summary>
    [Range(1, 65536)]
    public int HiddenDim { get; init; } = 4096;

    /// <summary>Output dimension of projector and predictor (the paper's 256).</summary>
    [Range(1, 65536)]
    public int OutputDim { get; init; } = 256;

    /// <summary>The target's EMA rate at the start, tau_base (0.996); it rises to 1 on a cosine over the run's steps.</summary>
    [Range(0.0, 1.0)]
    public double TauBase { get; init; } = 0.996;

    /// <summary>LARS base lr, scaled by batch size / 256 (the paper's 0.2 x B / 256).</summary>
    [Range(1e-8, 100.0)]
    public double Lr { get; init; } = 0.2;

    /// <summary>Weight decay (the paper's 1.5e-6), not applied to biases and batch-norm parameters.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1.5e-6;

    /// <summary>Linear warm-up epochs before the cosine decay (the paper's 10).</summary>
    [Range(0.0, 10_000.0)]
    public double WarmupEpochs { get; init; } = 10;
}

/// <summary>
/// BYOL (Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020): an online network (encoder,
/// projector, predictor) predicts the target network's projection of the other view; the target
/// (encoder and projector) is an exponential moving average of the online one, with
/// tau = 1 - (1 - tau_base)(cos(pi k / K) + 1) / 2 at step k of K. The loss is symmetric
/// (both views predict the other). The target runs in training mode without gradient, as in the
/// paper. The representation is the online encoder's output.
/// </summary>
[Plugin("byol", Summary = "self-distillation: an online network predicts an EMA target of the other view", Citation = "Grill et al., NeurIPS 2020")]
public sealed class ByolMethod(ByolOptions options) : MethodBase
{
    private MlpHead? projector;
    private MlpHead? predictor;
    private EncoderModule? targetEncoder;
    private MlpHead? targetProjector;

    public override MethodNeeds Needs => OneGroup(OptimizerPresets.LarsWarmupCosine(options.Lr, options.WeightDecay, options.WarmupEpochs), views: 2);

    /// <summary>The target's EMA rate after <paramref name="step"/> of <paramref name="totalSteps"/> steps: tau_base at 0, 1 at the end.</summary>
    public static double Tau(double tauBase, long step, long totalSteps) =>
        totalSteps <= 0 ? 1 : 1 - (1 - tauBase) * (Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps) + 1) / 2;

    protected override void Build()
    {
        projector = Add("projector", new MlpHead(Encoder.Features, options.HiddenDim, options.OutputDim));
        predictor = Add("predictor", new MlpHead(options.OutputDim, options.HiddenDim, options.OutputDim));
        targetEncoder = Add("target-encoder", Setup.Encoders.Copy(Encoder, frozen: true));
        targetProjector = Add("target-projector", projector.Copy(frozen: true));
        Optimize("all", Encoder, projector, predictor);
    }

    private Tensor Target(Tensor x) => MomentumTarget.Forward(targetEncoder!, targetProjector!, x);

    public override void Step(TrainBatch batch, IRunContext context)
    {
        // Both views through the online network as one batch, and through the target as another.
        var p = predictor!.forward(projector!.forward(Encoder.forward(torch.cat([batch.Views[0], batch.Views[1]])))).chunk(2);
        var z = Target(torch.cat([batch.Views[0], batch.Views[1]])).chunk(2);
        var loss = NormalizedMseLoss.Compute(p[0], z[1]) + NormalizedMseLoss.Compute(p[1], z[0]);
        Minimize(Optimizers["all"], loss);
        // The target follows at the end of the step, at the rate of the step just taken.
        var tau = Tau(options.TauBase, context.GlobalStep, context.Plan.TotalSteps);
        MomentumTarget.Update(targetEncoder!, Encoder, tau);
        MomentumTarget.Update(targetProjector!, projector, tau);
        context.LogLoss("loss/byol", loss);
        context.Log("byol/tau", tau);
    }
}
