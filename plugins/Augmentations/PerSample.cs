using System.ComponentModel.DataAnnotations;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations;

/// <summary>Per-sample random parameters, drawn on the CPU from the pipeline's generator.</summary>
internal static class PerSample
{
    /// <summary>
    /// <paramref name="count"/> uniform draws in [0, 1) for each of <paramref name="samples"/> samples, row-major
    /// ([sample, draw]). Drawn as one CPU tensor so a batch always consumes the same stretch of the stream,
    /// whatever the options and the batch's device: the same seed gives the same views on CPU and GPU.
    /// </summary>
    public static double[] Uniforms(Generator generator, long samples, int count)
    {
        using var u = torch.rand([samples, count], ScalarType.Float64, Device.CPU, generator);
        return u.data<double>();
    }

    /// <summary>Checks the batch is [N, C, H, W] floating point, the contract of every augmentation.</summary>
    public static void RequireImageBatch(Tensor batch, string plugin)
    {
        if (batch.dim() != 4 || !batch.dtype.IsFloatingPoint())
            throw new ArgumentException($"{plugin} expects a float batch [N, C, H, W], got {batch.dtype} [{string.Join(", ", batch.shape)}]");
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
