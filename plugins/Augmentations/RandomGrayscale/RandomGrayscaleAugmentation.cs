using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.RandomGrayscale;

/// <summary>Options of the <c>random-grayscale</c> augmentation.</summary>
public sealed record RandomGrayscaleOptions : PluginOptions
{
    /// <summary>Probability that a sample is turned gray, drawn independently per sample (default 0.2, as in SimCLR and BYOL).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.2;
}

/// <summary>
/// Replaces each RGB sample, with probability <c>p</c>, by its ITU-R BT.601 luma
/// (0.299 R + 0.587 G + 0.114 B, torchvision's weights) copied into all three channels, so the batch
/// keeps its shape. One-channel images are gray already and come back unchanged.
/// </summary>
[Plugin("random-grayscale", Summary = "turn each sample gray (BT.601 luma in every channel) with probability p",
    Citation = "Chen et al. (SimCLR), ICML 2020")]
public sealed class RandomGrayscaleAugmentation(RandomGrayscaleOptions options) : IAugmentation, IViewAdvice
{
    public string? WarningFor(ViewUse use) => use.Channels == 1 ? "the images are already grayscale: random-grayscale does nothing" : null;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "random-grayscale");
        PerSample.RequireGrayOrRgb(batch, "random-grayscale");
        var n = batch.size(0);
        // Drawn before the channel check below so one-channel batches consume the stream like RGB ones.
        var gray = SampleDraws.Uniforms(generator, n, 1).Select(u => u < options.P).ToArray();
        if (batch.size(1) == 1) return batch.clone();
        return vision.grayscale(batch, gray);
    }
}
