using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.RandomFlip;

/// <summary>Options of the <c>random-flip</c> augmentation.</summary>
public sealed record RandomFlipOptions : PluginOptions
{
    /// <summary>Probability that a sample is flipped, drawn independently per sample (default 0.5, as in torchvision's RandomHorizontalFlip).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.5;

    /// <summary>Flip top-to-bottom instead of left-to-right (default false: a horizontal flip).</summary>
    public bool Vertical { get; init; }
}

/// <summary>
/// Mirrors each sample of a batch with probability <c>p</c>, left-to-right (or top-to-bottom with
/// <c>vertical: true</c>). A flipped sample is exactly the mirror image: no interpolation.
/// </summary>
[Plugin("random-flip", Summary = "mirror each sample with probability p (horizontal, or vertical)")]
public sealed class RandomFlipAugmentation(RandomFlipOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "random-flip");
        var n = batch.size(0);
        var flip = SampleDraws.Uniforms(generator, n, 1).Select(u => u < options.P).ToArray();
        return options.Vertical ? vision.vflip(batch, flip) : vision.hflip(batch, flip);
    }
}
