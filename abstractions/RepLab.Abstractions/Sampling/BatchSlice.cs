namespace RepLab.Abstractions;

/// <summary>
/// The rows of one global batch that this process trains on: in data-parallel training with N
/// processes (ranks) of b images each, rank r holds rows [r b, (r + 1) b) of the global batch of
/// N b images. <see cref="SampleDraws"/> reads the current slice so that a sample's random draws
/// (augmentation parameters, a method's per-sample noise) depend on its place in the global batch
/// only: every rank draws for the whole global batch and keeps its own rows.
/// </summary>
/// <remarks>
/// The host enters the slice (<see cref="Enter"/>) around each view's augmentation pipeline, on the
/// loader thread, and around the method's training step, on the training thread. With one process
/// there is none (or the whole batch, <c>Offset</c> 0 and <c>Total</c> = <c>Count</c>), and every
/// draw is the one a single process has always made. The slice is per thread: work a plugin hands
/// to another thread does not see it.
/// </remarks>
/// <param name="Offset">Index in the global batch of this process's first row.</param>
/// <param name="Count">Rows this process holds (its local batch size).</param>
/// <param name="Total">Rows of the global batch, summed over all processes.</param>
public readonly record struct BatchSlice(long Offset, long Count, long Total)
{
    [ThreadStatic]
    private static BatchSlice? current;

    /// <summary>The slice the host entered on this thread, or null outside one (a single process, a test).</summary>
    public static BatchSlice? Current => current;

    /// <summary>Whether the slice is the whole global batch: draws are then those of a single process.</summary>
    public bool IsWhole => Offset == 0 && Count == Total;

    /// <summary>
    /// Makes <paramref name="slice"/> the current slice of this thread until the returned handle is
    /// disposed (on the same thread), which restores the slice that was current before; slices nest.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the rows [Offset, Offset + Count) are empty or do not lie in [0, Total).</exception>
    public static IDisposable Enter(BatchSlice slice)
    {
        if (slice.Count <= 0 || slice.Offset < 0 || slice.Offset > slice.Total - slice.Count)
            throw new ArgumentOutOfRangeException(nameof(slice), slice,
                $"a batch slice holds rows [Offset, Offset + Count) of [0, Total), Count at least 1; got {slice}");
        var restore = new Restore(current);
        current = slice;
        return restore;
    }

    /// <summary>Puts back the slice that was current before <see cref="Enter"/>, once.</summary>
    private sealed class Restore(BatchSlice? previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            current = previous;
        }
    }
}
