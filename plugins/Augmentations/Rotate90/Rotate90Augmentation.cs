using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.Rotate90;

/// <summary>Options of the <c>rotate90</c> augmentation.</summary>
public sealed record Rotate90Options : PluginOptions
{
    /// <summary>
    /// Probability that a sample is rotated at all, drawn independently per sample (default 1: every
    /// sample draws k uniformly in {0, 1, 2, 3}, RotNet's four classes); a sample left alone gets k = 0.
    /// </summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 1.0;
}

/// <summary>
/// Rotates each sample counter-clockwise by k quarter turns, k uniform in {0, 1, 2, 3} per sample
/// (as <c>torch.rot90(x, k, dims=(2, 3))</c>); exact, no interpolation. Images must be square so
/// the batch keeps one shape.
/// </summary>
/// <remarks>
/// As a view step, <see cref="Apply"/> returns the rotated batch only. A method that needs the
/// rotation as a label (RotNet's pretext task) calls <see cref="ApplyWithLabels"/>, which returns
/// the same rotation together with k.
/// </remarks>
[Plugin("rotate90", Summary = "rotate each sample by k quarter turns, k uniform in 0..3 (labels via ILabellingAugmentation)",
    Citation = "Gidaris et al. (RotNet), ICLR 2018")]
public sealed class Rotate90Augmentation(Rotate90Options options) : ILabellingAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        var (rotated, labels) = ApplyWithLabels(batch, generator);
        labels.Dispose();
        return rotated;
    }

    /// <summary>
    /// Rotates each sample counter-clockwise by k quarter turns and returns the batch with k as
    /// labels: int64 [N] on the batch's device, in {0, 1, 2, 3}. Consumes the same draws as <see cref="Apply"/>.
    /// </summary>
    public (Tensor Augmented, Tensor Labels) ApplyWithLabels(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "rotate90");
        if (batch.size(2) != batch.size(3))
            throw new ArgumentException($"rotate90 needs square images (a quarter turn swaps height and width), got {batch.size(2)}x{batch.size(3)}");
        var n = batch.size(0);
        const int draws = 2;
        var u = SampleDraws.Uniforms(generator, n, draws);
        var k = new long[n];
        for (var i = 0; i < n; i++)
            k[i] = u[i * draws + 1] < options.P ? Math.Min((long)(u[i * draws] * 4), 3) : 0;

        using var scope = torch.NewDisposeScope();
        var labels = torch.tensor<long>(k, [n], device: batch.device);
        var turns = labels.view(n, 1, 1, 1);
        var one = batch.rot90(1, 2, 3);
        var two = batch.rot90(2, 2, 3);
        var three = batch.rot90(3, 2, 3);
        var rotated = torch.where(turns.eq(1), one, torch.where(turns.eq(2), two, torch.where(turns.eq(3), three, batch)));
        return (rotated.contiguous().MoveToOuterScope(), labels.MoveToOuterScope());
    }
}
