using System.ComponentModel.DataAnnotations;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations;

/// <summary>
/// What the augmentations share about per-sample parameters: torchvision's candidate crops, the batch checks and
/// the interval options. The draws themselves come from the SDK's <see cref="RepLab.Abstractions.SampleDraws"/>,
/// which follows the run's batch slice in data-parallel training.
/// </summary>
internal static class PerSample
{
    /// <summary>Candidate draws per sample of the crop and erasing augmentations, as torchvision's.</summary>
    public const int Attempts = 10;

    /// <summary>
    /// Candidate <paramref name="k"/> of torchvision's RandomResizedCrop and RandomErasing, from its
    /// two uniforms <c>d[2 k]</c> and <c>d[2 k + 1]</c>: an area (in pixels of
    /// <paramref name="imageArea"/>) whose fraction is uniform in <paramref name="scale"/>, and an aspect
    /// ratio whose logarithm is uniform in log(<paramref name="ratio"/>).
    /// </summary>
    public static (double Area, double Ratio) Candidate(ReadOnlySpan<double> d, int k, double[] scale, double[] ratio, double imageArea)
    {
        var (lmin, lmax) = (Math.Log(ratio[0]), Math.Log(ratio[1]));
        return ((scale[0] + (scale[1] - scale[0]) * d[2 * k]) * imageArea, Math.Exp(lmin + (lmax - lmin) * d[2 * k + 1]));
    }

    /// <summary>Checks the batch is [N, C, H, W] floating point, the contract of every augmentation.</summary>
    public static void RequireImageBatch(Tensor batch, string plugin)
    {
        if (batch.dim() != 4 || !batch.dtype.IsFloatingPoint())
            throw new ArgumentException($"{plugin} expects a float batch [N, C, H, W], got {batch.dtype} [{string.Join(", ", batch.shape)}]");
    }

    /// <summary>Colour operations are defined for gray (1 channel) and RGB (3 channels) images only.</summary>
    public static void RequireGrayOrRgb(Tensor batch, string plugin)
    {
        if (batch.size(1) is not (1 or 3))
            throw new ArgumentException($"{plugin} expects 1 (gray) or 3 (RGB) channels, got {batch.size(1)}");
    }

    /// <summary>
    /// Checks a positive interval option [min, max] (0 &lt; min &lt;= max, and max &lt;= 1 for fractions);
    /// null when it holds. The two-entry length is checked by the options' Length attributes.
    /// </summary>
    public static ValidationResult? Interval(double[]? value, string yamlName, string member, bool fraction)
    {
        if (value is not [var min, var max]) return null;
        var ok = min > 0 && min <= max && (fraction ? max <= 1 : double.IsFinite(max));
        return ok ? null : new ValidationResult(
            $"{yamlName} must be [min, max] with 0 < min <= max{(fraction ? " <= 1" : "")}, got [{min}, {max}]", [member]);
    }
}
