using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>One prepared training batch on the device, owned by the consumer: disposing frees its tensors.</summary>
internal sealed class LoadedBatch(TrainBatch batch) : IDisposable
{
    public TrainBatch Batch { get; } = batch;

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
/// <param name="labels">The labels methods may see (int64 [N], -1 where unknown or held out), or null.</param>
internal sealed class BatchLoader(ImageSet train, Tensor? labels, long count, int batchSize, int stepsPerEpoch,
    IReadOnlyList<IReadOnlyList<IAugmentation>> pipelines, Device device, ulong seed)
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
        var index = order.slice(0, (long)s * batchSize, (long)s * batchSize + n);
        var x = train.Images.index_select(0, index).to(device, ScalarType.Float32) / 255.0;
        var views = new List<Tensor>();
        var viewLabels = new List<Tensor?>();
        for (var v = 0; v < pipelines.Count; v++)
        {
            var (y, made) = ApplyPipeline(pipelines[v], x, SeedStreams.View(seed, step, v));
            views.Add(y.DetachFromDisposeScope());
            viewLabels.Add(made?.DetachFromDisposeScope());
        }
        var batchLabels = labels?.index_select(0, index).to(device).DetachFromDisposeScope();
        var indices = index.to(device).DetachFromDisposeScope();
        return new LoadedBatch(new TrainBatch(views, x.DetachFromDisposeScope(), batchLabels, indices, viewLabels));
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
