using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Augmentations.RandomGrayscale;
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
/// The random order is applied in four stages: at stage k every sample performs the k-th operation
/// of its own permutation. Brightness, contrast and saturation are all the blend
/// <c>f x + (1 - f) ref</c> with ref = 0, the mean luma or the luma, so one stage runs them for the
/// whole batch as a single blend with a per-sample factor and reference; a sample whose stage-k
/// operation is the hue (or that is not jittered) gets f = 1, which leaves it bit-for-bit
/// unchanged. The hue, the costly part, runs only on the samples whose stage-k operation it is, so
/// each sample is converted to HSV once. One-channel images get brightness and contrast only
/// (saturation and hue need colour); 1 and 3 channels are accepted.
/// </remarks>
[Plugin("color-jitter", Summary = "random brightness, contrast, saturation and hue in a random order per sample, with probability p",
    Citation = "Chen et al. (SimCLR), ICML 2020; torchvision ColorJitter")]
public sealed class ColorJitterAugmentation(ColorJitterOptions options) : IAugmentation, IChannelAware
{
    private const int Brightness = 0, Contrast = 1, Saturation = 2, Hue = 3;

    // Per sample: apply?, brightness, contrast, saturation, hue, then 4 keys whose sort order is the permutation.
    private const int Draws = 9;

    public string? WarningFor(int channels) =>
        channels == 1 && (options.Saturation > 0 || options.Hue > 0)
            ? "saturation and hue do nothing on 1-channel images: only brightness and contrast are applied"
            : null;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "color-jitter");
        Luma.RequireGrayOrRgb(batch, "color-jitter");
        var n = (int)batch.size(0);
        var rgb = batch.size(1) == 3;
        var u = PerSample.Uniforms(generator, n, Draws);
        var applied = new bool[n];
        var factors = new double[n, 4];
        var orders = new int[n, 4];
        for (var i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * Draws, Draws);
            applied[i] = d[0] < options.P;
            factors[i, Brightness] = Factor(options.Brightness, d[1]);
            factors[i, Contrast] = Factor(options.Contrast, d[2]);
            factors[i, Saturation] = rgb ? Factor(options.Saturation, d[3]) : 1;
            factors[i, Hue] = rgb ? options.Hue * (2 * d[4] - 1) : 0;
            var keys = d.Slice(5, 4).ToArray();
            int[] order = [0, 1, 2, 3];
            Array.Sort(keys, order);
            for (var k = 0; k < 4; k++) orders[i, k] = order[k];
        }

        using var scope = torch.NewDisposeScope();
        var x = batch.clone();
        for (var stage = 0; stage < 4; stage++)
        {
            var f = new double[n];
            var toContrast = new double[n];
            var toSaturation = new double[n];
            var hued = new List<long>();
            for (var i = 0; i < n; i++)
            {
                var op = orders[i, stage];
                f[i] = applied[i] && op != Hue ? factors[i, op] : 1;
                toContrast[i] = op == Contrast ? 1 : 0;
                toSaturation[i] = op == Saturation ? 1 : 0;
                if (applied[i] && op == Hue && factors[i, Hue] != 0) hued.Add(i);
            }
            if (f.Any(v => v != 1)) Blend(x, f, toContrast, toSaturation);
            if (hued.Count > 0)
            {
                var index = torch.tensor<long>(hued.ToArray(), [hued.Count], device: batch.device);
                var shifts = torch.tensor<double>(hued.Select(i => factors[i, Hue]).ToArray(), [hued.Count, 1, 1, 1], batch.dtype, batch.device);
                x.index_put_([index], ShiftHue(x.index_select(0, index), shifts));
            }
        }
        return x.MoveToOuterScope();
    }

    /// <summary>torchvision's factor range for a strength s: uniform in [max(0, 1 - s), 1 + s].</summary>
    private static double Factor(double strength, double u)
    {
        var lo = Math.Max(0, 1 - strength);
        return lo + (1 + strength - lo) * u;
    }

    /// <summary>
    /// In place: x = clamp(f x + (1 - f) ref, 0, 1) per sample, ref = the sample's mean luma where
    /// <paramref name="toContrast"/> is 1, its luma where <paramref name="toSaturation"/> is 1, else 0
    /// (brightness). f = 1 adds exactly 0, so those samples keep their bits.
    /// </summary>
    private static void Blend(Tensor x, double[] f, double[] toContrast, double[] toSaturation)
    {
        var n = f.Length;
        var (dtype, device) = (x.dtype, x.device);
        // x = f x + (1 - f) toSaturation luma + (1 - f) toContrast mean(luma): per-sample
        // coefficients are tiny [N, 1, 1, 1] tensors, so the full-size work is three fused updates.
        var factor = torch.tensor<double>(f, [n, 1, 1, 1], dtype, device);
        var saturation = torch.tensor<double>(f.Select((v, i) => (1 - v) * toSaturation[i]).ToArray(), [n, 1, 1, 1], dtype, device);
        var contrast = torch.tensor<double>(f.Select((v, i) => (1 - v) * toContrast[i]).ToArray(), [n, 1, 1, 1], dtype, device);
        var luma = Luma.Of(x);
        var offset = luma.mean([1, 2, 3], keepdim: true).mul_(contrast);
        x.mul_(factor).addcmul_(luma, saturation).add_(offset).clamp_(0, 1);
    }

    /// <summary>
    /// Turns the hue of RGB samples [M, 3, H, W] by <paramref name="shift"/> [M, 1, 1, 1] (fractions of
    /// the circle): H from torchvision's <c>_rgb2hsv</c>, then back with the closed form
    /// c_n = V - V S clamp(min(k, 4 - k), 0, 1), k = (n + 6 H) mod 6, n = 5, 3, 1 for R, G, B,
    /// where V = max and V S = max - min (the chroma), so S and V never need dividing out.
    /// </summary>
    internal static Tensor ShiftHue(Tensor rgb, Tensor shift)
    {
        var (r, g, b) = (rgb.narrow(1, 0, 1), rgb.narrow(1, 1, 1), rgb.narrow(1, 2, 1));
        var max = rgb.amax(1, keepdim: true);
        var chroma = max - rgb.amin(1, keepdim: true);
        // Gray pixels have no hue; any divisor keeps them finite, and their chroma 0 undoes any hue.
        var divisor = torch.where(chroma.eq(0), torch.ones_like(chroma), chroma);
        var (rc, gc, bc) = ((max - r) / divisor, (max - g) / divisor, (max - b) / divisor);
        // The sector of the maximum channel, R first then G, as torchvision breaks ties.
        var sector = torch.where(max.eq(r), bc - gc, torch.where(max.eq(g), rc - bc + 2.0, gc - rc + 4.0));
        var hue6 = (sector / 6.0 + shift).remainder(1.0) * 6.0;
        var n = torch.tensor<double>([5, 3, 1], [1, 3, 1, 1], rgb.dtype, rgb.device);
        var k = (hue6 + n).remainder(6.0);
        var ramp = k.minimum(4.0 - k).clamp(0, 1);
        return (max - chroma * ramp).clamp_(0, 1);
    }
}
