using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// The processes (ranks) of a data-parallel run, as a method sees them. Rank r trains on rows
/// [r b, (r + 1) b) of the global batch of <see cref="Size"/> b images; the host averages gradients
/// across ranks before every optimizer step, so a loss that each rank computes on its own slice
/// needs nothing from here. A method whose loss couples samples (contrastive negatives, a queue of
/// keys) gathers what it needs with <see cref="AllGather"/>; with one process every call returns its
/// input, so a method written against it runs unchanged either way.
/// </summary>
public interface IWorld
{
    /// <summary>This process's rank, 0 to <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>How many processes train the run.</summary>
    int Size { get; }

    /// <summary>
    /// Every rank's <paramref name="x"/> (same shape on every rank) concatenated along dimension 0 in
    /// rank order, so the result is the global batch's rows in one process's order. Differentiable: the
    /// gradient of the result is summed over ranks and each rank keeps its own rows, which, with the
    /// host's averaging of parameter gradients, equals one process's gradient of a loss over the global batch.
    /// </summary>
    Tensor AllGather(Tensor x);

    /// <summary>The sum of <paramref name="x"/> over ranks (a new tensor); differentiable (the gradient is summed over ranks too).</summary>
    Tensor AllReduce(Tensor x);

    /// <summary>Overwrites <paramref name="x"/> with rank <paramref name="root"/>'s values, in place, without gradient.</summary>
    void Broadcast(Tensor x, int root = 0);
}

/// <summary>The world of a run in one process: one rank, and every collective returns its input.</summary>
public sealed class SingleProcess : IWorld
{
    /// <summary>The one instance.</summary>
    public static IWorld World { get; } = new SingleProcess();

    private SingleProcess()
    {
    }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public Tensor AllGather(Tensor x) => x;

    /// <inheritdoc />
    public Tensor AllReduce(Tensor x) => x;

    /// <inheritdoc />
    public void Broadcast(Tensor x, int root = 0)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"rank {root} does not exist in a run of one process");
    }
}
