using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// Per-sample random draws for augmentations and methods that follow the current
/// <see cref="BatchSlice"/>: inside a slice each call draws for the whole global batch and keeps
/// this process's rows, so a sample gets the draws it would get in one process that held the whole
/// global batch. Outside a slice (or in a whole one) each call is exactly the libtorch draw it
/// stands for, the same shape, dtype, device and generator, so single-process runs draw what they
/// always drew.
/// </summary>
/// <remarks>
/// A draw's sample count <c>n</c> is <i>sliced</i> when it is a multiple k of the slice's
/// <c>Count</c> (k = 1 is the usual case; k = 2 for a batch of two views stacked): the draw is then
/// made for k blocks of <c>Total</c> samples and each block keeps rows [Offset, Offset + Count).
/// Any other count (a grid of 8 inputs, an empty batch) is drawn as without a slice. Every rank
/// consumes the same stretch of the stream, the global one, so the streams stay in step.
/// </remarks>
public static class SampleDraws
{
    /// <summary>
    /// <paramref name="count"/> uniform draws in [0, 1) for each of <paramref name="samples"/> samples, row-major
    /// ([sample, draw]). Drawn as one CPU float64 tensor from <paramref name="generator"/>, so a batch always
    /// consumes the same stretch of the stream whatever the options and the batch's device: the same seed gives
    /// the same views on CPU and GPU. Inside a slice, the rows of the global batch this process holds.
    /// </summary>
    public static double[] Uniforms(Generator generator, long samples, int count)
    {
        if (Sliced(samples) is not { } s)
        {
            using var u = torch.rand([samples, count], ScalarType.Float64, Device.CPU, generator);
            return u.data<double>();
        }
        using var global = torch.rand([s.Blocks * s.Slice.Total, count], ScalarType.Float64, Device.CPU, generator);
        using var mine = Keep(global, 0, s.Slice, s.Blocks);
        return mine.data<double>();
    }

    /// <summary>
    /// Standard normal draws of <paramref name="shape"/> from torch's default generator
    /// (<c>torch.randn(shape, dtype, device)</c>), where <c>shape[sampleDim]</c> counts the samples.
    /// Inside a slice, this process's samples of the global batch's draw.
    /// </summary>
    public static Tensor Randn(long[] shape, Device device, ScalarType? dtype = null, int sampleDim = 0)
    {
        if (Sliced(shape, sampleDim) is not { } s) return torch.randn(shape, dtype, device);
        using var global = torch.randn(Global(shape, sampleDim, s), dtype, device);
        return Keep(global, sampleDim, s.Slice, s.Blocks);
    }

    /// <summary>
    /// Uniform draws in [0, 1) of <paramref name="shape"/> from torch's default generator
    /// (<c>torch.rand(shape, dtype, device)</c>), where <c>shape[sampleDim]</c> counts the samples.
    /// Inside a slice, this process's samples of the global batch's draw.
    /// </summary>
    public static Tensor Rand(long[] shape, Device device, ScalarType? dtype = null, int sampleDim = 0)
    {
        if (Sliced(shape, sampleDim) is not { } s) return torch.rand(shape, dtype, device);
        using var global = torch.rand(Global(shape, sampleDim, s), dtype, device);
        return Keep(global, sampleDim, s.Slice, s.Blocks);
    }

    /// <summary>
    /// Integers uniform in [<paramref name="low"/>, <paramref name="high"/>) of <paramref name="shape"/>, int64,
    /// from torch's default generator (<c>torch.randint(low, high, shape, device)</c>), where
    /// <c>shape[sampleDim]</c> counts the samples. Inside a slice, this process's samples of the global batch's draw.
    /// </summary>
    public static Tensor RandInt(long low, long high, long[] shape, Device device, int sampleDim = 0)
    {
        if (Sliced(shape, sampleDim) is not { } s) return torch.randint(low, high, shape, device: device);
        using var global = torch.randint(low, high, Global(shape, sampleDim, s), device: device);
        return Keep(global, sampleDim, s.Slice, s.Blocks);
    }

    /// <summary>The current slice and how many blocks of it <paramref name="samples"/> holds; null when the draw is not sliced.</summary>
    private static (BatchSlice Slice, long Blocks)? Sliced(long samples) =>
        BatchSlice.Current is { IsWhole: false } slice && samples > 0 && samples % slice.Count == 0
            ? (slice, samples / slice.Count)
            : null;

    private static (BatchSlice Slice, long Blocks)? Sliced(long[] shape, int sampleDim)
    {
        if (sampleDim < 0 || sampleDim >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(sampleDim), sampleDim, $"the sample dimension must index the shape [{string.Join(", ", shape)}]");
        return Sliced(shape[sampleDim]);
    }

    /// <summary><paramref name="shape"/> with the sample dimension grown to the global batch's blocks.</summary>
    private static long[] Global(long[] shape, int sampleDim, (BatchSlice Slice, long Blocks) s)
    {
        var global = (long[])shape.Clone();
        global[sampleDim] = s.Blocks * s.Slice.Total;
        return global;
    }

    /// <summary>
    /// This process's rows of a global draw: <paramref name="global"/>'s dimension <paramref name="dim"/>
    /// (<paramref name="blocks"/> blocks of <c>Total</c>) cut to rows [Offset, Offset + Count) of each block,
    /// as a new contiguous tensor that shares no storage with the global draw.
    /// </summary>
    private static Tensor Keep(Tensor global, int dim, BatchSlice slice, long blocks)
    {
        var shape = global.shape;
        long[] split = [.. shape[..dim], blocks, slice.Total, .. shape[(dim + 1)..]];
        using var byBlock = global.view(split);
        using var mine = byBlock.narrow(dim + 1, slice.Offset, slice.Count);
        using var compact = mine.clone();
        shape[dim] = blocks * slice.Count;
        return compact.reshape(shape);
    }
}
