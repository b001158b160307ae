using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> augmentation.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>Probability that a sample is inverted, drawn independently per sample (default 0.5).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.5;
}

/// <summary>
/// Inverts each sample (x becomes 1 - x) with probability <c>p</c>. Batches are float images in [0, 1],
/// [N, C, H, W], on the run's device; every random draw comes from the generator given, one per sample
/// through <see cref="SampleDraws"/>, so runs are reproducible and resume exactly.
/// </summary>
[Plugin("my-plugin", Summary = "invert each sample with probability p")]
public sealed class MyPluginAugmentation(MyPluginOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        if (batch.dim() != 4) throw new ArgumentException($"my-plugin expects images [N, C, H, W], got [{string.Join(", ", batch.shape)}]");
        var invert = SampleDraws.Uniforms(generator, batch.size(0), 1).Select(u => u < options.P ? 1f : 0f).ToArray();
        using var mask = torch.tensor<float>(invert, invert.Length, 1, 1, 1).to(batch.device);
        return Invert(batch, mask);
    }

    /// <summary>Where <paramref name="mask"/> is 1 the sample becomes 1 - x, where 0 it stays x.</summary>
    public static Tensor Invert(Tensor batch, Tensor mask) => batch + mask * (1 - 2 * batch);
}
