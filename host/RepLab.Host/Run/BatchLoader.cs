using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>One prepared training batch on the device, owned by the consumer: disposing frees its tensors.</summary>
internal sealed class LoadedBatch(TrainBatch batch, BatchSlice slice) : IDisposable
{
    public TrainBatch Batch { get; } = batch;

    /// <summary>Which rows of the global batch this is (all of it with one process).</summary>
    public BatchSlice Slice { get; } = slice;

    public long Count => Batch.Count;

    public void Dispose()
    {
        Batch.Original.Dispose();
        Batch.Indices.Dispose();
        Batch.Labels?.Dispose();
        foreach (var v in Batch.Views) v.Dispose();
        foreach (var l in Batch.ViewLabels) l?.Dispose();
    }
}

/// <summary>
/// Yields an epoch's batches in a seeded shuffled order, preparing the next batch (gather, move to
/// the device, every view's augmentations) on a background thread while the current step trains.
/// Each epoch's order and each step's augmentation generators are derived from the run seed and
/// the epoch or step number alone, so the batches are the same whatever the timing, and a resumed
/// run can start in the middle of an epoch.
/// </summary>
/// <remarks>
/// In a data-parallel run every rank draws the same order and takes its shard of each global batch:
/// rank r of N gets rows [r b, (r + 1) b) with b = <paramref name="batchSize"/> / N, and its views are
/// drawn for the global batch (<see cref="BatchSlice"/>), so the N shards together are the batch one
/// process would make.
/// </remarks>
/// <param name="labels">The labels methods may see (int64 [N], -1 where unknown or held out), or null.</param>
/// <param name="batchSize">Images per step over all ranks (the global batch).</param>
/// <param name="shard">This process's rank and the number of ranks.</param>
internal sealed class BatchLoader(ImageSet train, Tensor? labels, long count, int batchSize, int stepsPerEpoch,
    IReadOnlyList<IReadOnlyList<IAugmentation>> pipelines, Device device, ulong seed, (int Rank, int Ranks) shard)
{
    private long waitTicks;

    /// <summary>
    /// Seconds the consumer has spent waiting for a batch that was not ready yet: the time the data
    /// path starved training (the first batch of each epoch, prepared while nothing trains, included).
    /// </summary>
    public double WaitSeconds => TimeSpan.FromTicks(Interlocked.Read(ref waitTicks)).TotalSeconds;

    /// <summary>Batches <paramref name="first"/>.. of <paramref name="epoch"/>, numbered from global step <paramref name="firstStep"/>, stopping before <paramref name="endStep"/>.</summary>
    public IEnumerable<(int index, long step, LoadedBatch batch)> Epoch(int epoch, int first, long firstStep, long endStep)
    {
        using var shuffle = new Generator(SeedStreams.Shuffle(seed, epoch));
        using var order = torch.randperm(count, generator: shuffle).DetachFromDisposeScope();
        var last = (int)Math.Min(stepsPerEpoch, first + (endStep - firstStep));
        Task<LoadedBatch>? next = first < last ? Prepare(order, first, firstStep) : null;
        try
        {
            for (var s = first; s < last; s++)
            {
                var waited = System.Diagnostics.Stopwatch.GetTimestamp();
                var batch = next!.GetAwaiter().GetResult();
                Interlocked.Add(ref waitTicks, System.Diagnostics.Stopwatch.GetElapsedTime(waited).Ticks);
                var step = firstStep + (s - first);
                next = s + 1 < last ? Prepare(order, s + 1, step + 1) : null;
                yield return (s, step, batch);
            }
        }
        finally
        {
            // Stopped early: wait for the batch in flight and free it.
            if (next is not null)
                try { next.GetAwaiter().GetResult().Dispose(); }
                catch (Exception) { /* the consumer is already leaving; its own error wins */ }
        }
    }

    private Task<LoadedBatch> Prepare(Tensor order, int s, long step) => Task.Factory.StartNew(() => Make(order, s, step),
        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private LoadedBatch Make(Tensor order, int s, long step)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var n = Math.Min(batchSize, count - (long)s * batchSize);
        // Ranks split only whole batches (drop-last is required with several ranks).
        var share = n / shard.Ranks;
        var first = (long)s * batchSize + shard.Rank * share;
        var index = order.slice(0, first, first + share);
        var x = train.Images.index_select(0, index).to(device, ScalarType.Float32) / 255.0;
        var views = new List<Tensor>();
        var viewLabels = new List<Tensor?>();
        using var slice = BatchSlice.Enter(new BatchSlice(shard.Rank * share, share, n));
        for (var v = 0; v < pipelines.Count; v++)
        {
            var (y, made) = ApplyPipeline(pipelines[v], x, SeedStreams.View(seed, step, v));
            views.Add(y.DetachFromDisposeScope());
            viewLabels.Add(made?.DetachFromDisposeScope());
        }
        var batchLabels = labels?.index_select(0, index).to(device).DetachFromDisposeScope();
        var indices = index.to(device).DetachFromDisposeScope();
        return new LoadedBatch(new TrainBatch(views, x.DetachFromDisposeScope(), batchLabels, indices, viewLabels), new BatchSlice(shard.Rank * share, share, n));
    }

    /// <summary>
    /// One view: the pipeline's steps in order with one generator, and the labels of its last
    /// labelling step (null without one). The same draws whether or not labels are taken.
    /// </summary>
    internal static (Tensor View, Tensor? Labels) ApplyPipeline(IEnumerable<IAugmentation> pipeline, Tensor x, ulong viewSeed)
    {
        using var g = new Generator(viewSeed);
        var (y, labels) = (x, (Tensor?)null);
        foreach (var aug in pipeline)
        {
            if (aug is ILabellingAugmentation labelling) (y, labels) = labelling.ApplyWithLabels(y, g);
            else y = aug.Apply(y, g);
        }
        return (y, labels);
    }
}
