using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Autoencoder;

/// <summary>Reconstruction losses of the autoencoder.</summary>
public enum ReconstructionLoss
{
    /// <summary>Mean squared error between the sigmoid output and the image.</summary>
    Mse,

    /// <summary>Binary cross-entropy of the decoder's logits against pixel intensities in [0, 1].</summary>
    Bce,
}

/// <summary>Options of the <c>autoencoder</c> method.</summary>
public sealed record AutoencoderOptions : PluginOptions
{
    /// <summary>Reconstruction loss: mse or bce (default mse).</summary>
    public ReconstructionLoss Loss { get; init; } = ReconstructionLoss.Mse;

    /// <summary>
    /// Encode the first augmented view instead of the clean image, and reconstruct the clean image
    /// from it: a denoising autoencoder whose corruption is the view pipeline (default false).
    /// </summary>
    public bool FromView { get; init; }

    /// <summary>Adam learning rate when the experiment names no optimizer (default 1e-3).</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;
}

/// <summary>
/// A convolutional autoencoder: the encoder's features go through a decoder that mirrors
/// conv-small (linear to 128x4x4, then transposed convolutions 128-64-32-C with BatchNorm and
/// ReLU) and the image is reconstructed from them. The encoder is what gets evaluated.
/// </summary>
[Plugin("autoencoder", Summary = "convolutional autoencoder with a mirrored transposed-conv decoder (MSE or BCE)")]
public sealed class AutoencoderMethod(AutoencoderOptions options) : MethodBase, ISampleGrids
{
    private MirroredDecoder? decoder;

    public override MethodNeeds Needs => OneGroup(new(OptimizerKind.Adam, options.Lr), views: options.FromView ? 1 : 0);

    protected override void Build()
    {
        decoder = Add("decoder", new MirroredDecoder(Encoder.Features, Setup.Input));
        Optimize("all", Encoder, decoder);
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var x = batch.Original;
        var logits = decoder!.forward(Encoder.forward(options.FromView ? batch.Views[0] : x));
        var loss = Loss(logits, x, options.Loss);
        Minimize(Optimizers["all"], loss);
        context.LogLoss($"loss/recon-{options.Loss.ToString().ToLowerInvariant()}", loss);
    }

    /// <summary>Mean squared error of the sigmoid output, or binary cross-entropy of the logits, against the image.</summary>
    public static Tensor Loss(Tensor logits, Tensor x, ReconstructionLoss loss) => loss == ReconstructionLoss.Mse
        ? F.mse_loss(logits.sigmoid(), x)
        : F.binary_cross_entropy_with_logits(logits, x);

    public int SampleInputs => 8;

    /// <summary>Originals in the first row, their reconstructions in the second.</summary>
    public IReadOnlyList<SampleGrid> Grids(Tensor inputs)
    {
        using var recon = decoder!.forward(Encoder.forward(inputs)).sigmoid();
        return [new SampleGrid("reconstructions", torch.cat([inputs, recon]), (int)inputs.size(0))];
    }
}

/// <summary>
/// Linear to 128 x h x w, then three stride-2 transposed convolutions back to the input size
/// (output padding chosen so each stage matches the encoder's spatial size). Returns logits.
/// </summary>
public sealed class MirroredDecoder : Module
{
    private readonly nn.Sequential body;

    public MirroredDecoder(int features, ImageShape input)
    {
        // The encoder's spatial sizes: s -> s/2 (4x4 s2 p1) -> s/4 (4x4 s2 p1) -> ceil(s/8) (3x3 s2 p1).
        static long Down(long s, long k) => (s + 2 - k) / 2 + 1;
        long h1 = Down(input.Height, 4), h2 = Down(h1, 4), h3 = Down(h2, 3);
        long w1 = Down(input.Width, 4), w2 = Down(w1, 4), w3 = Down(w2, 3);
        // Transposed 3x3 s2 p1 gives 2n-1+op; 4x4 s2 p1 gives 2n+op.
        if (h1 * 2 != input.Height || w1 * 2 != input.Width || h2 * 2 != h1 || w2 * 2 != w1 || h3 * 2 - 1 > h2 || w3 * 2 - 1 > w2 || h2 - (h3 * 2 - 1) != w2 - (w3 * 2 - 1))
            throw new ArgumentException($"the mirrored decoder needs image sides divisible by 4, got {input}");
        var outputPadding = h2 - (h3 * 2 - 1);
        body = register_module("body", new nn.Sequential(
            new nn.Linear(features, 128 * h3 * w3), new nn.Unflatten(1, [128, h3, w3]), new nn.ReLU(),
            new nn.ConvTranspose2d(128, 64, 3, stride: 2, padding: 1, output_padding: outputPadding), new nn.BatchNorm2d(64), new nn.ReLU(),
            new nn.ConvTranspose2d(64, 32, 4, stride: 2, padding: 1), new nn.BatchNorm2d(32), new nn.ReLU(),
            new nn.ConvTranspose2d(32, input.Channels, 4, stride: 2, padding: 1)));
    }

    public override Tensor forward(Tensor input) => body.forward(input);
}
