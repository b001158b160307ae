using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.Normalize;

/// <summary>Options of the <c>normalize</c> step.</summary>
public sealed record NormalizeOptions : PluginOptions, IValidatableObject
{
    /// <summary>
    /// Per-channel mean subtracted from the pixels: one entry per channel, or a single entry used for
    /// every channel (default [0.5], which with std [0.5] maps [0, 1] onto [-1, 1]).
    /// </summary>
    [MinLength(1)]
    public double[] Mean { get; init; } = [0.5];

    /// <summary>
    /// Per-channel standard deviation the pixels are divided by (after subtracting the mean), each
    /// positive: one entry per channel, or a single entry used for every channel (default [0.5]).
    /// </summary>
    [MinLength(1)]
    public double[] Std { get; init; } = [0.5];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mean.Any(m => !double.IsFinite(m)))
            yield return new ValidationResult($"mean must be finite, got [{string.Join(", ", Mean)}]", [nameof(Mean)]);
        if (Std.Any(s => !(s > 0 && double.IsFinite(s))))
            yield return new ValidationResult($"std must be positive, got [{string.Join(", ", Std)}]", [nameof(Std)]);
        if (Mean.Length > 1 && Std.Length > 1 && Mean.Length != Std.Length)
            yield return new ValidationResult($"mean has {Mean.Length} entries and std {Std.Length}: give one per channel (or one for all)", [nameof(Mean), nameof(Std)]);
    }
}

/// <summary>
/// Standardises each channel: (x - mean[c]) / std[c], torchvision's Normalize. Deterministic and
/// usually the last step of a view; its output leaves [0, 1], so steps that assume [0, 1] go before
/// it. It has no probability: normalising only some samples would feed the encoder two input scales.
/// </summary>
/// <remarks>
/// Evaluators and sample grids feed the encoder the un-augmented images, which never pass through a
/// view, so an encoder trained on normalised views would be scored on [0, 1] input. The experiment's
/// <c>data.normalize</c> (auto or fixed) normalises inside the encoder for all of them and is the
/// better choice whenever the run evaluates; this step is for pipelines that standardise mid-way.
/// </remarks>
[Plugin("normalize", Summary = "standardise each channel: (x - mean) / std")]
public sealed class NormalizeAugmentation(NormalizeOptions options) : IRescalingAugmentation, IViewAdvice
{
    public string? WarningFor(ViewUse use) => use.Evaluated
        ? "the views are standardised but the evaluators feed the encoder [0, 1] images; data.normalize (auto or fixed) standardises inside the encoder for both"
        : null;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "normalize");
        using var mean = PerChannel(options.Mean, "mean", batch);
        using var std = PerChannel(options.Std, "std", batch);
        using var centred = batch - mean;
        return centred / std;
    }

    /// <summary>The option as [1, C, 1, 1]: one value per channel, or the single value repeated.</summary>
    private static Tensor PerChannel(double[] values, string name, Tensor batch)
    {
        var c = batch.size(1);
        if (values.Length != 1 && values.Length != c)
            throw new ArgumentException($"normalize: {name} has {values.Length} entries but the images have {c} channels (give {c}, or 1 for all)");
        var perChannel = values.Length == 1 ? Enumerable.Repeat(values[0], (int)c).ToArray() : values;
        return torch.tensor<double>(perChannel, [1, c, 1, 1], batch.dtype, batch.device);
    }
}
