using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.DenoisingAutoencoder;

/// <summary>How the denoising autoencoder corrupts its input.</summary>
public enum Corruption
{
    /// <summary>A fixed fraction of each image's pixels, chosen at random, set to 0 (Vincent et al.'s masking noise).</summary>
    Masking,

    /// <summary>Additive isotropic Gaussian noise of standard deviation <c>std</c>, clamped to [0, 1].</summary>
    Gaussian,
}

/// <summary>Options of the <c>denoising-autoencoder</c> method.</summary>
public sealed record DenoisingAutoencoderOptions : PluginOptions
{
    /// <summary>The corruption: masking or gaussian.</summary>
    public Corruption Noise { get; init; } = Corruption.Masking;

    /// <summary>Fraction of each image's pixels zeroed by masking noise (the paper's 25%).</summary>
    [Range(0.0, 1.0)]
    public double MaskFraction { get; init; } = 0.25;

    /// <summary>Standard deviation of Gaussian noise, in units of the [0, 1] pixel range.</summary>
    [Range(0.0, 10.0)]
    public double Std { get; init; } = 0.3;

    /// <summary>Reconstruction loss of the clean image: mse or bce.</summary>
    public ReconstructionLoss Loss { get; init; } = ReconstructionLoss.Bce;

    /// <summary>Adam learning rate when the experiment names no optimizer.</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;
}

/// <summary>
/// The denoising autoencoder (Vincent, Larochelle, Bengio &amp; Manzagol, "Extracting and Composing
/// Robust Features with Denoising Autoencoders", ICML 2008): the encoder sees a corrupted image
/// and the mirrored decoder reconstructs the clean one. Noise is drawn from the global generator,
/// so runs are seeded and resume exactly.
/// </summary>
[Plugin("denoising-autoencoder", Summary = "autoencoder that reconstructs clean images from masked or noisy ones", Citation = "Vincent et al., ICML 2008")]
public sealed class DenoisingAutoencoderMethod(DenoisingAutoencoderOptions options) : MethodBase, ISampleGrids
{
    private MirroredDecoder? decoder;

    public override MethodNeeds Needs => OneGroup(new(OptimizerKind.Adam, options.Lr));

    protected override void Build()
    {
        decoder = Add("decoder", new MirroredDecoder(Encoder.Features, Setup.Input));
        Optimize("all", Encoder, decoder);
    }

    /// <summary>The corrupted batch: masking zeroes exactly round(fraction x C x H x W) entries of each image; Gaussian adds noise and clamps.</summary>
    public Tensor Corrupt(Tensor x)
    {
        using var ng = torch.no_grad();
        if (options.Noise == Corruption.Gaussian)
            return (x + SampleDraws.Randn(x.shape, x.device) * options.Std).clamp(0, 1);
        var n = x.size(0);
        var d = x.numel() / n;
        var k = (long)Math.Round(options.MaskFraction * d);
        if (k == 0) return x.clone();
        using var scores = SampleDraws.Rand([n, d], x.device);
        // The k largest scores of each row mark a uniformly random subset of exactly k pixels.
        var (values, chosen) = scores.topk(k, dim: 1);
        using (values)
        using (chosen)
        using (var zeros = torch.zeros([n, k], device: x.device))
        using (var keep = torch.ones([n, d], device: x.device).scatter(1, chosen, zeros))
            return x * keep.view(x.shape);
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var x = batch.Original;
        var logits = decoder!.forward(Encoder.forward(Corrupt(x)));
        var loss = AutoencoderMethod.Loss(logits, x, options.Loss);
        Minimize(Optimizers["all"], loss);
        context.LogLoss($"loss/recon-{options.Loss.ToString().ToLowerInvariant()}", loss);
    }

    public int SampleInputs => 8;

    /// <summary>Clean images, their corruptions, and the reconstructions.</summary>
    public IReadOnlyList<SampleGrid> Grids(Tensor inputs)
    {
        var corrupted = Corrupt(inputs);
        var recon = decoder!.forward(Encoder.forward(corrupted)).sigmoid();
        return [new SampleGrid("denoised", torch.cat([inputs, corrupted, recon]), (int)inputs.size(0))];
    }
}
