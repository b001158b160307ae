using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.ColorJitter;

/// <summary>
/// Options of the <c>color-jitter</c> augmentation. Strengths follow torchvision's ColorJitter: a
/// strength s draws a factor uniformly in [max(0, 1 - s), 1 + s], so 0 leaves that property alone.
/// The defaults are SimCLR's colour distortion at strength 1 (0.8, 0.8, 0.8, 0.2, applied with p 0.8).
/// </summary>
public sealed record ColorJitterOptions : PluginOptions
{
    /// <summary>Brightness strength: each pixel is multiplied by a factor in [max(0, 1 - s), 1 + s] (default 0.8).</summary>
    [Range(0.0, double.MaxValue)]
    public double Brightness { get; init; } = 0.8;

    /// <summary>
    /// Contrast strength: each sample is blended with the mean of its luma by a factor in
    /// [max(0, 1 - s), 1 + s] (default 0.8).
    /// </summary>
    [Range(0.0, double.MaxValue)]
    public double Contrast { get; init; } = 0.8;

    /// <summary>
    /// Saturation strength: each pixel is blended with its luma by a factor in [max(0, 1 - s), 1 + s]
    /// (default 0.8). Ignored for one-channel images, which have no saturation.
    /// </summary>
    [Range(0.0, double.MaxValue)]
    public double Saturation { get; init; } = 0.8;

    /// <summary>
    /// Hue strength h in [0, 0.5]: the hue turns by a shift uniform in [-h, h], in fractions of the
    /// colour circle (default 0.2). Ignored for one-channel images, which have no hue.
    /// </summary>
    [Range(0.0, 0.5)]
    public double Hue { get; init; } = 0.2;

    /// <summary>Probability that a sample is jittered at all, drawn independently per sample (default 0.8, SimCLR's).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.8;
}

/// <summary>
/// torchvision's ColorJitter, batched: each jittered sample draws its own brightness, contrast,
/// saturation and hue factors and its own order of the four operations (a uniformly random
/// permutation, as torchvision draws one per image). Brightness scales the pixels, contrast blends
/// with the mean luma of the sample, saturation blends with the per-pixel luma (BT.601 weights),
/// each clamped to [0, 1] as torchvision does; hue goes RGB to HSV, shifts H modulo 1, and back.
/// </summary>
/// <remarks>
/// The draws become four stages per sample, run by the engine's <see cref="vision.color_jitter_"/>
/// (a fused kernel on CPU, a composition of ordinary ops on CUDA). One-channel images get
/// brightness and contrast only (saturation and hue need colour); 1 and 3 channels are accepted.
/// </remarks>
[Plugin("color-jitter", Summary = "random brightness, contrast, saturation and hue in a random order per sample, with probability p",
    Citation = "Chen et al. (SimCLR), ICML 2020; torchvision ColorJitter")]
public sealed class ColorJitterAugmentation(ColorJitterOptions options) : IAugmentation, IViewAdvice
{
    // Per sample: apply?, brightness, contrast, saturation, hue, then 4 keys whose sort order is the permutation.
    private const int Draws = 9;

    public string? WarningFor(ViewUse use) =>
        use.Channels == 1 && (options.Saturation > 0 || options.Hue > 0)
            ? "saturation and hue do nothing on 1-channel images: only brightness and contrast are applied"
            : null;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "color-jitter");
        PerSample.RequireGrayOrRgb(batch, "color-jitter");
        var n = (int)batch.size(0);
        var u = SampleDraws.Uniforms(generator, n, Draws);
        var ops = new vision.ColorOp[4 * n];
        var values = new double[4 * n];
        Span<double> factor = stackalloc double[4];
        Span<double> keys = stackalloc double[4];
        Span<int> order = stackalloc int[4];
        for (var i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * Draws, Draws);
            factor[0] = Factor(options.Brightness, d[1]);
            factor[1] = Factor(options.Contrast, d[2]);
            factor[2] = Factor(options.Saturation, d[3]);
            factor[3] = options.Hue * (2 * d[4] - 1);
            d.Slice(5, 4).CopyTo(keys);
            for (var k = 0; k < 4; k++) order[k] = k;
            keys.Sort(order);
            for (var k = 0; k < 4; k++)
            {
                // Operation codes 0-3 are brightness, contrast, saturation, hue: the order of the draws.
                ops[4 * i + k] = d[0] < options.P ? (vision.ColorOp)order[k] : vision.ColorOp.None;
                values[4 * i + k] = factor[order[k]];
            }
        }
        var x = batch.is_contiguous() ? batch.clone() : batch.contiguous();
        return vision.color_jitter_(x, ops, values);
    }

    /// <summary>torchvision's factor range for a strength s: uniform in [max(0, 1 - s), 1 + s].</summary>
    private static double Factor(double strength, double u)
    {
        var lo = Math.Max(0, 1 - strength);
        return lo + (1 + strength - lo) * u;
    }
}
