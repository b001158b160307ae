using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.Solarize;

/// <summary>Options of the <c>solarize</c> augmentation.</summary>
public sealed record SolarizeOptions : PluginOptions
{
    /// <summary>Pixels at or above this value are inverted (x becomes 1 - x), as torchvision's <c>solarize</c> (default 0.5, BYOL's).</summary>
    [Range(0.0, 1.0)]
    public double Threshold { get; init; } = 0.5;

    /// <summary>Probability that a sample is solarized, drawn independently per sample (default 0.2, BYOL's second view; its first view uses 0).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.2;
}

/// <summary>
/// Solarizes each sample with probability <c>p</c>: every pixel value at or above <c>threshold</c>
/// becomes 1 - value, the others stay. Used by BYOL's asymmetric views.
/// </summary>
[Plugin("solarize", Summary = "invert pixels at or above a threshold, per sample with probability p",
    Citation = "Grill et al. (BYOL), NeurIPS 2020")]
public sealed class SolarizeAugmentation(SolarizeOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "solarize");
        var n = batch.size(0);
        var solarized = SampleDraws.Uniforms(generator, n, 1).Select(u => u < options.P).ToArray();
        return vision.solarize(batch, options.Threshold, solarized);
    }
}
