using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.GaussianBlur;

/// <summary>Options of the <c>gaussian-blur</c> augmentation.</summary>
public sealed record GaussianBlurOptions : PluginOptions, IValidatableObject
{
    /// <summary>
    /// Range [min, max] of the Gaussian's standard deviation in pixels, drawn uniformly per sample
    /// (default [0.1, 2.0], SimCLR's and torchvision's; 0 &lt; min &lt;= max).
    /// </summary>
    [Length(2, 2)]
    public double[] Sigma { get; init; } = [0.1, 2.0];

    /// <summary>
    /// Kernel side as a fraction of the image's shorter side, rounded down and made odd
    /// (2 floor(floor(f side) / 2) + 1: 3 pixels for 28 and 32, 23 for 224) (default 0.1, SimCLR's).
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double KernelFraction { get; init; } = 0.1;

    /// <summary>Probability that a sample is blurred, drawn independently per sample (default 0.5, SimCLR's).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PerSample.Interval(Sigma, "sigma", nameof(Sigma), fraction: false) is { } sigmaError) yield return sigmaError;
    }
}

/// <summary>
/// SimCLR's Gaussian blur, batched: each sample draws its own sigma uniformly in <c>sigma</c> and is
/// convolved with a normalised Gaussian of side <c>kernel-fraction</c> of the image (made odd), as two
/// 1-D passes (rows then columns) with reflect padding, like torchvision's <c>gaussian_blur</c>, by
/// the engine's <see cref="vision.gaussian_blur"/> (a fused kernel on CPU; elsewhere one grouped
/// convolution per pass, every (sample, channel) plane its own group with its sample's kernel).
/// </summary>
[Plugin("gaussian-blur", Summary = "blur each sample with probability p by a Gaussian of random sigma (separable, reflect padding)",
    Citation = "Chen et al. (SimCLR), ICML 2020")]
public sealed class GaussianBlurAugmentation(GaussianBlurOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "gaussian-blur");
        var (n, c, height, width) = (batch.size(0), batch.size(1), batch.size(2), batch.size(3));
        const int draws = 2;
        var u = SampleDraws.Uniforms(generator, n, draws);
        var radius = KernelRadius(Math.Min(height, width), options.KernelFraction);
        var blurred = Enumerable.Range(0, (int)n).Select(i => u[i * draws + 1] < options.P).ToArray();
        // A 1-pixel kernel is the identity whatever the sigma (a 10-pixel image at fraction 0.1).
        if (radius == 0 || !blurred.Any()) return batch.clone();

        var size = 2 * radius + 1;
        var (smin, smax) = (options.Sigma[0], options.Sigma[1]);
        var kernels = new double[n * size];
        for (var i = 0; i < n; i++) Kernel(smin + (smax - smin) * u[i * draws], radius).CopyTo(kernels.AsSpan((int)(i * size), size));
        var x = batch.is_contiguous() ? batch : batch.contiguous();
        try
        {
            return vision.gaussian_blur(x, kernels, radius, blurred);
        }
        finally
        {
            if (!ReferenceEquals(x, batch)) x.Dispose();
        }
    }

    /// <summary>Half the kernel side for an image side: SimCLR's floor(f side), made odd by rounding down to 2r + 1.</summary>
    internal static int KernelRadius(long side, double fraction) => (int)Math.Floor(fraction * side) / 2;

    /// <summary>exp(-x^2 / (2 sigma^2)) at x = -r..r, normalised to sum 1 (torchvision's <c>_get_gaussian_kernel1d</c>).</summary>
    internal static double[] Kernel(double sigma, int radius)
    {
        var k = new double[2 * radius + 1];
        for (var x = -radius; x <= radius; x++) k[x + radius] = Math.Exp(-x * x / (2 * sigma * sigma));
        var sum = k.Sum();
        for (var j = 0; j < k.Length; j++) k[j] /= sum;
        return k;
    }
}
