using static RepLab.Torch.Native;

namespace RepLab.Torch;

// Distributed training over libtorch's c10d (engine/native/src/distributed.cpp). Everything here is
// reached as torch.distributed.X, as in PyTorch: torch.distributed.Store, torch.distributed.ProcessGroup,
// torch.distributed.ReduceOp, torch.distributed.all_gather / all_reduce / sync_batch_norm
// (or distributed.X under `using static RepLab.Torch.torch;`).

public static partial class torch
{
    /// <summary>PyTorch's <c>torch.distributed</c>: stores, process groups and collectives.</summary>
    public static class distributed
    {
        /// <summary>
        /// How a collective combines the ranks' values. Gloo has no average (PyTorch refuses ReduceOp.AVG
        /// with Gloo too): sum, then divide by <see cref="ProcessGroup.WorldSize"/>.
        /// </summary>
        public enum ReduceOp
        {
            /// <summary>The sum over ranks (<c>ReduceOp.SUM</c>).</summary>
            Sum = 0,
            /// <summary>The product over ranks (<c>ReduceOp.PRODUCT</c>).</summary>
            Product = 1,
            /// <summary>The smallest value over ranks (<c>ReduceOp.MIN</c>).</summary>
            Min = 2,
            /// <summary>The largest value over ranks (<c>ReduceOp.MAX</c>).</summary>
            Max = 3,
        }

        /// <summary>
        /// A key-value store the ranks meet at (PyTorch's TCPStore and FileStore). Process groups made on
        /// it keep it alive natively: disposing the store after making its groups is safe.
        /// </summary>
        public sealed class Store : IDisposable
        {
            internal readonly StoreHandle H;

            private Store(IntPtr handle, TimeSpan timeout)
            {
                H = new StoreHandle(handle);
                Timeout = timeout;
                Native.Check(rl_store_port(H, out var port));
                Port = port;
            }

            /// <summary>How long <see cref="Get"/> waits for a key that is not there yet.</summary>
            public TimeSpan Timeout { get; }

            /// <summary>The TCP store's port (the one the server bound when asked for port 0); 0 for a file store.</summary>
            public int Port { get; }

            /// <summary>
            /// A TCP store at <paramref name="host"/>:<paramref name="port"/>. With <paramref name="isServer"/> this
            /// process hosts the server (rank 0's job) and returns at once, without waiting for the workers;
            /// port 0 then picks a free port (<see cref="Port"/>). A client retries connecting up to the timeout.
            /// </summary>
            public static Store Tcp(string host, int port, int worldSize, bool isServer, TimeSpan timeout)
            {
                var ms = Milliseconds(timeout, "Store.Tcp");
                Native.Check(rl_store_tcp(host, port, worldSize, isServer ? 1 : 0, ms, out var h));
                return new Store(h, timeout);
            }

            /// <summary>A store in a file every rank can reach (a shared file system); <paramref name="timeout"/> defaults to PyTorch's 300 s.</summary>
            public static Store File(string path, int worldSize, TimeSpan? timeout = null)
            {
                var t = timeout ?? TimeSpan.FromSeconds(300);
                Native.Check(rl_store_file(path, worldSize, Milliseconds(t, "Store.File"), out var h));
                return new Store(h, t);
            }

            /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, visible to every rank (<c>store.set</c>).</summary>
            public unsafe void Set(string key, byte[] value)
            {
                fixed (byte* p = value) Native.Check(rl_store_set(H, key, p, value.Length));
            }

            /// <summary>The value of <paramref name="key"/>, waiting up to <see cref="Timeout"/> for another rank to set it.</summary>
            public unsafe byte[] Get(string key)
            {
                Native.Check(rl_store_get(H, key, out var data, out var n));
                return new ReadOnlySpan<byte>(data, checked((int)n)).ToArray();
            }

            /// <summary>Adds <paramref name="delta"/> to the integer at <paramref name="key"/> (0 when absent) and returns the new value.</summary>
            public long Add(string key, long delta)
            {
                Native.Check(rl_store_add(H, key, delta, out var v));
                return v;
            }

            /// <summary>Whether <paramref name="key"/> is set, without waiting.</summary>
            public bool Check(string key)
            {
                Native.Check(rl_store_check(H, key, out var v));
                return v != 0;
            }

            /// <summary>Releases this handle to the store; groups made on it keep it alive natively.</summary>
            public void Dispose() => H.Dispose();
        }

        /// <summary>
        /// A group of ranks running collectives together (PyTorch's ProcessGroupGloo / ProcessGroupNCCL).
        /// Every rank makes its groups on the same store in the same order and calls the same collectives in
        /// the same order. Each collective waits up to <see cref="Timeout"/>: a rank that never joins, or is
        /// gone, gives a <see cref="TorchException"/> naming the collective and this rank. Disposing closes the
        /// group's connections at once (its peers' next collectives fail); graphs built by
        /// <see cref="all_gather"/> and <see cref="all_reduce"/> keep a native reference and report a closed group.
        /// </summary>
        public sealed class ProcessGroup : IDisposable
        {
            internal readonly GroupHandle H;

            private ProcessGroup(IntPtr handle, int rank, int worldSize, TimeSpan timeout, string backend)
            {
                H = new GroupHandle(handle);
                (Rank, WorldSize, Timeout, Backend) = (rank, worldSize, timeout, backend);
            }

            /// <summary>This process's rank in the group, 0 to <see cref="WorldSize"/> - 1 (<c>dist.get_rank()</c>).</summary>
            public int Rank { get; }

            /// <summary>The number of ranks in the group (<c>dist.get_world_size()</c>).</summary>
            public int WorldSize { get; }

            /// <summary>How long every collective (and the rendezvous that makes the group) waits for the other ranks.</summary>
            public TimeSpan Timeout { get; }

            /// <summary>"gloo" or "nccl".</summary>
            public string Backend { get; }

            /// <summary>
            /// A Gloo group (CPU tensors). Blocks until all <paramref name="worldSize"/> ranks have joined through
            /// <paramref name="store"/>. Gloo's transport: the address in REPLAB_GLOO_HOST, else the interfaces in
            /// GLOO_SOCKET_IFNAME, else the address this machine's hostname resolves to (loopback if none).
            /// </summary>
            public static ProcessGroup Gloo(Store store, int rank, int worldSize, TimeSpan timeout) =>
                Make(0, "gloo", store, rank, worldSize, timeout);

            /// <summary>An NCCL group (CUDA tensors); a <see cref="TorchException"/> where libtorch was built without NCCL.</summary>
            public static ProcessGroup Nccl(Store store, int rank, int worldSize, TimeSpan timeout) =>
                Make(1, "nccl", store, rank, worldSize, timeout);

            private static ProcessGroup Make(int backend, string name, Store store, int rank, int worldSize, TimeSpan timeout)
            {
                var ms = Milliseconds(timeout, $"ProcessGroup.{(backend == 0 ? "Gloo" : "Nccl")}");
                Check(rl_group_new(backend, store.H, rank, worldSize, ms, out var h));
                return new ProcessGroup(h, rank, worldSize, timeout, name);
            }

            /// <summary>Combines <paramref name="t"/> over the ranks, in place.</summary>
            public void AllReduce(Tensor t, ReduceOp op = ReduceOp.Sum) => AllReduce([t], op);

            /// <summary>Combines each tensor over the ranks, in place, in one call (Gloo coalesces tensors of one dtype).</summary>
            public unsafe void AllReduce(IReadOnlyList<Tensor> ts, ReduceOp op = ReduceOp.Sum) =>
                Check(Tensor.WithHandles(ts, p => rl_group_allreduce(H, (IntPtr*)p, ts.Count, (int)op)));

            /// <summary>Overwrites <paramref name="t"/> with rank <paramref name="root"/>'s values.</summary>
            public void Broadcast(Tensor t, int root) => Check(rl_group_broadcast(H, t.H, root));

            /// <summary>Every rank's <paramref name="t"/>, in rank order (the same shape and dtype on every rank).</summary>
            public unsafe Tensor[] AllGather(Tensor t)
            {
                var outs = new IntPtr[WorldSize];
                fixed (IntPtr* p = outs) Check(rl_group_allgather(H, t.H, p));
                return outs.Select(h => new Tensor(h)).ToArray();
            }

            /// <summary>Returns when every rank has reached it.</summary>
            public void Barrier() => Check(rl_group_barrier(H));

            /// <summary>Closes the group's connections at once (PyTorch's <c>destroy_process_group</c>); its peers' next collectives fail.</summary>
            public void Dispose() => H.Dispose();

            /// <summary>The backend, rank and world size, e.g. <c>ProcessGroup(gloo, rank 0 of 2)</c>.</summary>
            public override string ToString() => $"ProcessGroup({Backend}, rank {Rank} of {WorldSize})";
        }

        /// <summary>
        /// Every rank's <paramref name="x"/> concatenated along dimension 0 in rank order (the same shape on every
        /// rank), differentiably. Backward sums the incoming gradient over the ranks and keeps this rank's rows:
        /// when data parallelism then averages gradients over ranks, each rank computing a loss on the gathered
        /// batch gives the gradient of one process computing it on the global batch (solo-learn's GatherLayer).
        /// Every rank must run the backward too: it is a collective.
        /// </summary>
        public static Tensor all_gather(Tensor x, ProcessGroup group) => Tensor.Wrap(rl_all_gather(x.H, group.H, out var o), o);

        /// <summary>The sum of <paramref name="x"/> over the ranks (a new tensor), differentiably: backward sums the gradient over the ranks.</summary>
        public static Tensor all_reduce(Tensor x, ProcessGroup group) => Tensor.Wrap(rl_all_reduce(x.H, group.H, out var o), o);

        /// <summary>
        /// Training-mode batch norm (then <paramref name="activation"/>) with mean and variance over every rank's
        /// batch. Each rank's per-channel mean and biased variance (two-pass) become [n mean, n (var + mean^2), n]
        /// in float64, one differentiable <see cref="all_reduce"/> sums them, and the global mean and variance
        /// follow without cancellation trouble; autograd carries the backward through the same all-reduce.
        /// Running statistics, when given, are updated as PyTorch does, the variance unbiased with the global
        /// count. Every rank must call it.
        /// </summary>
        public static Tensor sync_batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight, Tensor? bias,
            double momentum, double eps, NormActivation activation, ProcessGroup group)
        {
            if (input.dim() < 2) throw new ArgumentException($"sync batch norm: expected an input with a channel dimension, got {input.dim()}-D");
            using var scope = torch.NewDisposeScope();
            var channels = input.size(1);
            long[] dims = [0, .. Enumerable.Range(2, (int)input.dim() - 2).Select(d => (long)d)];
            var n = (double)(input.numel() / Math.Max(channels, 1));
            var (mean, var) = n > 0
                ? (input.mean(dims).to(ScalarType.Float64), input.var(dims, correction: 0).to(ScalarType.Float64))
                : (torch.zeros([channels], ScalarType.Float64, input.device), torch.zeros([channels], ScalarType.Float64, input.device));
            var total = all_reduce(torch.cat([mean * n, (var + mean * mean) * n, torch.full([1], n, ScalarType.Float64, input.device)]), group);
            var count = total.narrow(0, 2 * channels, 1).item<double>();
            if (count <= 1) throw new ArgumentException($"Expected more than 1 value per channel when training, got {count} over all ranks");
            var globalMean = total.narrow(0, 0, channels) / count;
            var globalVar = (total.narrow(0, channels, channels) / count - globalMean * globalMean).clamp_min(0);
            if (running_mean is not null && running_var is not null)
                using (torch.no_grad())
                {
                    running_mean.mul_(1 - momentum).add_(globalMean.detach().to(running_mean.dtype) * momentum);
                    running_var.mul_(1 - momentum).add_((globalVar.detach() * (count / (count - 1))).to(running_var.dtype) * momentum);
                }
            var scale = (globalVar + eps).rsqrt();
            if (weight is not null) scale = scale * weight;
            long[] shape = [1, channels, .. Enumerable.Repeat(1L, (int)input.dim() - 2)];
            var y = (input - globalMean.to(input.dtype).view(shape)) * scale.to(input.dtype).view(shape);
            if (bias is not null) y = y + bias.view(shape);
            return (activation.Kind switch
            {
                NormActivationKind.ReLU => F.relu(y),
                NormActivationKind.LeakyReLU => F.leaky_relu(y, activation.NegativeSlope),
                _ => y,
            }).DetachFromDisposeScope();
        }

        internal static long Milliseconds(TimeSpan timeout, string what)
        {
            if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), $"{what}: the timeout must be positive");
            return (long)Math.Ceiling(timeout.TotalMilliseconds);
        }
    }
}
