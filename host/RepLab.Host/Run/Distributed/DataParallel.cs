using System.Globalization;
using System.Text;
using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Torch;
using Dist = RepLab.Torch.torch.distributed;

namespace RepLab.Host.Run.Distributed;

/// <summary>
/// One rank's part in a data-parallel run over c10d: the rendezvous store (a TCPStore served by the local launcher, or rank 0 under Slurm),
/// the process group (Gloo, or NCCL for CUDA tensors) and what training needs of them: the model
/// broadcast from rank 0, gradients averaged across ranks before each optimizer step (in buckets),
/// buffers made equal before a checkpoint, one stop decision for all ranks, and each rank's step in
/// the store, so that a collective that times out can name the rank that stopped answering. It is the
/// <see cref="IWorld"/> methods see.
/// </summary>
internal sealed class DataParallel : IWorld, IDisposable
{
    /// <summary>Gradients are summed in buckets of at most this many bytes (PyTorch's DDP uses 25 MiB).</summary>
    internal const long BucketBytes = 25L << 20;

    private readonly Dist.Store store;
    private readonly Dist.ProcessGroup group;
    /// <summary>How often each rank writes <c>alive/RANK</c> to the store (from its own connection and thread).</summary>
    internal static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    private readonly Dist.Store beat;
    private readonly Timer beating;
    private bool stopped;

    private DataParallel(RankSetup setup, Dist.Store store, Dist.ProcessGroup group, TimeSpan timeout)
    {
        (Setup, this.store, this.group) = (setup, store, group);
        beat = Dist.Store.Tcp(setup.Host, setup.Port, setup.WorldSize, false, timeout);
        beating = new Timer(_ => Beat(), null, TimeSpan.Zero, Heartbeat);
    }

    /// <summary>This rank's sign of life: a rank that hangs (stopped, deadlocked) or died stops writing it.</summary>
    private void Beat()
    {
        lock (beat)
        try
        {
            if (stopped) return;
            beat.Set($"alive/{Rank}", Encoding.ASCII.GetBytes(DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture)));
        }
        catch (TorchException)
        {
            // The store is gone (rank 0 ended): the next collective says so.
        }
    }

    public RankSetup Setup { get; }

    public int Rank => Setup.Rank;

    public int Size => Setup.WorldSize;

    /// <summary>Meets the other ranks at <paramref name="setup"/>'s address (rank 0 serves the store) and forms the process group.</summary>
    public static DataParallel Join(RankSetup setup, DistributedOptions options, Device device)
    {
        var timeout = TimeSpan.FromSeconds(options.Timeout);
        var store = Dist.Store.Tcp(setup.Host, setup.Port, setup.WorldSize, setup.ServesStore, timeout);
        try
        {
            var nccl = options.Backend == DistributedBackend.Nccl || (options.Backend == DistributedBackend.Auto && device.Type == DeviceType.CUDA);
            var group = nccl ? Dist.ProcessGroup.Nccl(store, setup.Rank, setup.WorldSize, timeout) : Dist.ProcessGroup.Gloo(store, setup.Rank, setup.WorldSize, timeout);
            Console.WriteLine($"replab: rank {setup.Rank} of {setup.WorldSize} joined ({(nccl ? "nccl" : "gloo")}, {setup.Origin}, store {setup.Host}:{setup.Port})");
            return new DataParallel(setup, store, group, timeout);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public Tensor AllGather(Tensor x) => Collective("all-gather", () => Dist.all_gather(x, group), Bytes(x) * Size);

    public Tensor AllReduce(Tensor x) => Collective("all-reduce", () => Dist.all_reduce(x, group), Bytes(x));

    /// <summary>
    /// Bytes this rank has put through collectives since the last <see cref="TakeVolume"/>: each
    /// all-reduce's buffer, each all-gather's result (a method's gathers count once, their backward
    /// all-reduce not); synchronised batch norm's statistics (2C + 1 doubles per layer, twice) are not counted.
    /// </summary>
    private long volume;

    /// <summary>The bytes counted since the last call (the training loop logs them per step as <c>perf/collective-mb</c>).</summary>
    public long TakeVolume() => Interlocked.Exchange(ref volume, 0);

    private static long Bytes(Tensor t) => t.numel() * t.dtype.ElementSize();

    public void Broadcast(Tensor x, int root = 0)
    {
        using var ng = torch.no_grad();
        Collective("broadcast", () => group.Broadcast(x, root));
    }

    /// <summary>Every batch norm in <paramref name="modules"/> takes its training statistics over all ranks' batches (<c>sync-batch-norm</c>).</summary>
    public void SynchroniseBatchNorm(IEnumerable<Module> modules)
    {
        foreach (var m in modules) m.convert_sync_batchnorm(group);
    }

    /// <summary>Rank 0's parameters and buffers to every rank (at the start, after a resume).</summary>
    public void BroadcastState(IEnumerable<Module> modules)
    {
        foreach (var m in modules)
            foreach (var (_, t) in m.state_dict()) Broadcast(t);
    }

    /// <summary>Rank 0's buffers (batch-norm running statistics) to every rank: before a checkpoint, which holds rank 0's, and before evaluating.</summary>
    public void BroadcastBuffers(IEnumerable<Module> modules)
    {
        foreach (var m in modules)
            foreach (var (_, t) in m.named_buffers()) Broadcast(t);
    }

    /// <summary>
    /// Averages the gradients of <paramref name="optimizer"/>'s parameters across ranks, in place: each
    /// bucket of up to <see cref="BucketBytes"/> is flattened into one tensor, summed by one all-reduce
    /// and divided by the world size. Every rank has the same parameters with gradients, in the same order.
    /// </summary>
    public void AverageGradients(optim.Optimizer optimizer)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var grads = optimizer.param_groups.SelectMany(g => g.Params).Select(p => p.grad).OfType<Tensor>().ToList();
        foreach (var bucket in Buckets(grads))
        {
            var flat = torch.cat(bucket.Select(g => g.reshape(-1)).ToList());
            Collective("gradient all-reduce", () => group.AllReduce(flat), Bytes(flat));
            flat.div_(Size);
            long offset = 0;
            foreach (var g in bucket)
            {
                g.copy_(flat.narrow(0, offset, g.numel()).view_as(g));
                offset += g.numel();
            }
        }
    }

    /// <summary>Consecutive gradients of one dtype and device, up to <see cref="BucketBytes"/> each.</summary>
    internal static IEnumerable<List<Tensor>> Buckets(IEnumerable<Tensor> grads)
    {
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var g in grads)
        {
            var size = g.numel() * g.dtype.ElementSize();
            if (bucket.Count > 0 && (bytes + size > BucketBytes || g.dtype != bucket[0].dtype || g.device != bucket[0].device))
            {
                yield return bucket;
                (bucket, bytes) = ([], 0);
            }
            bucket.Add(g);
            bytes += size;
        }
        if (bucket.Count > 0) yield return bucket;
    }

    /// <summary>Whether any rank wants to stop before <paramref name="step"/> (a signal, the time limit): all ranks stop at the same step.</summary>
    public bool AgreeToStop(long step, bool here)
    {
        store.Set($"step/{Rank}", Encoding.ASCII.GetBytes(step.ToString(CultureInfo.InvariantCulture)));
        using var flag = torch.tensor(new float[] { here ? 1 : 0 }, 1);
        Collective("stop agreement", () => group.AllReduce(flag));
        return flag.item<float>() > 0;
    }

    /// <summary>The mean of a scalar over ranks (a logged loss: every rank's slice counts).</summary>
    public double Mean(Tensor value)
    {
        using var ng = torch.no_grad();
        using var sum = value.detach().to(ScalarType.Float64).reshape(1).clone();
        Collective("loss all-reduce", () => group.AllReduce(sum));
        return sum.item<double>() / Size;
    }

    /// <summary>Every rank's CPU generator state, in rank order (rank 0 keeps them in the checkpoint; each rank resumes from its own).</summary>
    public Tensor[] GatherGeneratorStates()
    {
        using var state = torch.get_rng_state();
        return Collective("generator-state all-gather", () => group.AllGather(state));
    }

    /// <summary>Rank 0 tells the others how the run starts (<c>new</c>, <c>resume</c> or <c>finished</c>); the others wait for it.</summary>
    public string Agree(string key, string? leaderValue)
    {
        if (Setup.IsLeader) store.Set(key, Encoding.UTF8.GetBytes(leaderValue!));
        return Encoding.UTF8.GetString(store.Get(key));
    }

    private void Collective(string what, Action action, long bytes = 0) => Collective(what, () => { action(); return 0; }, bytes);

    private T Collective<T>(string what, Func<T> action, long bytes = 0)
    {
        Interlocked.Add(ref volume, bytes);
        try
        {
            return action();
        }
        catch (TorchException e)
        {
            throw new RankFailedException($"rank {Rank} of {Size}: the {what} failed: {e.Message.Split('\n')[0]}{Laggards()}", e);
        }
    }

    /// <summary>
    /// A collective the engine ran inside a method's step (synchronised batch norm, a gather's backward)
    /// that failed, as a <see cref="RankFailedException"/> naming the ranks that stopped answering; null for any other error.
    /// </summary>
    public RankFailedException? Explain(TorchException e) =>
        e.Message.Contains($"failed on rank {Rank} of {Size}", StringComparison.Ordinal)
            ? new RankFailedException($"rank {Rank} of {Size}: {e.Message.Split('\n')[0]}{Laggards()}", e)
            : null;

    /// <summary>
    /// The ranks that stopped answering, as a clause: those whose last sign of life is more than three
    /// heartbeats old (a rank that hangs or died), with each rank's last step; empty when none can be told.
    /// </summary>
    private string Laggards()
    {
        try
        {
            var now = DateTime.UtcNow;
            var silent = Enumerable.Range(0, Size).Where(r => r != Rank)
                .Select(r => (Rank: r, Since: store.Check($"alive/{r}") ? now - new DateTime(long.Parse(Encoding.ASCII.GetString(store.Get($"alive/{r}")), CultureInfo.InvariantCulture), DateTimeKind.Utc) : (TimeSpan?)null))
                .Where(x => x.Since is null || x.Since > 3 * Heartbeat)
                .Select(x => $"rank {x.Rank} ({(x.Since is { } since ? $"no sign of life for {since.TotalSeconds:F0} s" : "never seen")}, last at step {LastStep(x.Rank)})")
                .ToList();
            return silent.Count == 0 ? "" : $"; {string.Join(", ", silent)} stopped answering";
        }
        catch (Exception e) when (e is TorchException or FormatException)
        {
            return "; the rendezvous store is gone too (the launcher, or rank 0 under Slurm, ended)";
        }
    }

    private string LastStep(int rank) => store.Check($"step/{rank}") ? Encoding.ASCII.GetString(store.Get($"step/{rank}")) : "none";

    public void Dispose()
    {
        beating.Dispose();
        lock (beat)
        {
            stopped = true;
            beat.Dispose();
        }
        group.Dispose();
        store.Dispose();
    }
}

/// <summary>A collective failed or timed out: another rank died or hangs. The run fails; its last checkpoint stands.</summary>
internal sealed class RankFailedException(string message, Exception inner) : Exception(message, inner);
