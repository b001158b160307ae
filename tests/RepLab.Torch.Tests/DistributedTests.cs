using System.Diagnostics;
using System.Text;
using FluentAssertions;
using Xunit;
using static RepLab.Torch.torch.distributed;

namespace RepLab.Torch.Tests;

/// <summary>
/// torch.distributed over real Gloo: two ranks as two threads of this process, each with its own
/// TCPStore client (rank 0 on the server's store) and its own process group. Inputs are drawn on the
/// test's thread (the global generator is shared) and handed to the ranks as arrays; the ranks hand
/// back arrays. Distributed results are compared with one process computing the same on the global
/// batch; tolerances are stated per test.
/// </summary>
public class DistributedTests
{
    private const int World = 2;

    /// <summary>Runs <paramref name="body"/> as every rank; a rank that does not finish within a minute fails the test.</summary>
    private static T[] Ranks<T>(Func<ProcessGroup, Store, T> body, double timeoutSeconds = 30)
    {
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        using var server = Store.Tcp("127.0.0.1", 0, World, isServer: true, TimeSpan.FromSeconds(30));
        server.Port.Should().BePositive("port 0 asks the server for a free port");
        var results = new T[World];
        var errors = new Exception?[World];
        var threads = Enumerable.Range(0, World).Select(rank => new Thread(() =>
        {
            try
            {
                using var client = rank == 0 ? null : Store.Tcp("127.0.0.1", server.Port, World, isServer: false, TimeSpan.FromSeconds(30));
                var store = client ?? server;
                using var group = ProcessGroup.Gloo(store, rank, World, timeout);
                using var scope = torch.NewDisposeScope();
                results[rank] = body(group, store);
            }
            catch (Exception e)
            {
                errors[rank] = e;
            }
        }) { IsBackground = true, Name = $"rank {rank}" }).ToList();
        threads.ForEach(t => t.Start());
        foreach (var t in threads)
            t.Join(TimeSpan.FromSeconds(60)).Should().BeTrue($"{t.Name} should finish (a hang is a failure)");
        var failed = errors.Where(e => e is not null).ToList();
        if (failed.Count > 0) throw new AggregateException(failed!);
        return results;
    }

    private static Tensor Rows(float[] data, long[] shape, long start, long count)
    {
        var rowSize = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var part = data.AsSpan((int)(start * rowSize), (int)(count * rowSize)).ToArray();
        return torch.tensor(part, [count, .. shape.Skip(1)]);
    }

    private static void ShouldMatch(float[] got, float[] want, double rtol, string what)
    {
        got.Length.Should().Be(want.Length, what);
        var scale = want.Max(v => Math.Abs((double)v));
        for (var i = 0; i < want.Length; i++)
            ((double)got[i]).Should().BeApproximately(want[i], rtol * (1 + scale), $"{what}[{i}]");
    }

    [Fact]
    public void Collectives_reduce_broadcast_and_gather_the_ranks_values()
    {
        var got = Ranks((g, _) =>
        {
            var r = g.Rank;
            float[] mine = [r + 1, 10 * (r + 1), -r];
            var sum = torch.tensor(mine);
            g.AllReduce(sum);
            var max = torch.tensor(mine);
            g.AllReduce(max, ReduceOp.Max);
            var min = torch.tensor(mine);
            g.AllReduce(min, ReduceOp.Min);
            var fromOne = torch.tensor(mine);
            g.Broadcast(fromOne, root: 1);
            var gathered = g.AllGather(torch.tensor(mine));
            // A transposed (non-contiguous) tensor is reduced through a copy and written back.
            var strided = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3).mul(r + 1).t();
            g.AllReduce(strided);
            g.Barrier();
            return (sum: sum.data<float>(), max: max.data<float>(), min: min.data<float>(), bcast: fromOne.data<float>(),
                gathered: gathered.Select(t => t.data<float>()).ToArray(), strided: strided.contiguous().data<float>(), g.Rank, g.WorldSize);
        });
        for (var r = 0; r < World; r++)
        {
            got[r].Rank.Should().Be(r);
            got[r].WorldSize.Should().Be(World);
            got[r].sum.Should().Equal(3, 30, -1);
            got[r].max.Should().Equal(2, 20, 0);
            got[r].min.Should().Equal(1, 10, -1);
            got[r].bcast.Should().Equal(2, 20, -1);
            got[r].gathered.Should().HaveCount(World);
            got[r].gathered[0].Should().Equal(1, 10, 0);
            got[r].gathered[1].Should().Equal(2, 20, -1);
            got[r].strided.Should().Equal(3, 12, 6, 15, 9, 18);
        }
    }

    [Fact]
    public void All_reduce_of_several_buffers_in_one_call()
    {
        var got = Ranks((g, _) =>
        {
            var r = g.Rank + 1;
            // One dtype: Gloo's coalesced path; mixed dtypes: one call per tensor.
            Tensor[] same = [torch.full([3], r), torch.full([2, 2], 10 * r)];
            g.AllReduce(same);
            Tensor[] mixed = [torch.full([2], r, ScalarType.Float64), torch.full([3], r, ScalarType.Int64), torch.full([1], r)];
            g.AllReduce(mixed, ReduceOp.Max);
            return (same.Select(t => t.data<float>()).ToArray(), mixed[0].data<double>(), mixed[1].data<long>(), mixed[2].data<float>());
        });
        foreach (var (same, f64, i64, f32) in got)
        {
            same[0].Should().Equal(3, 3, 3);
            same[1].Should().Equal(30, 30, 30, 30);
            f64.Should().Equal(2, 2);
            i64.Should().Equal(2, 2, 2);
            f32.Should().Equal(2);
        }
    }

    [Fact]
    public void Store_sets_gets_adds_and_checks_across_ranks()
    {
        var got = Ranks((g, store) =>
        {
            if (g.Rank == 1) store.Set("greeting", Encoding.UTF8.GetBytes("from rank 1"));
            // Get waits until the other rank has set the key.
            var greeting = Encoding.UTF8.GetString(store.Get("greeting"));
            store.Add("counter", 10 * (g.Rank + 1));
            g.Barrier();
            return (greeting, counter: store.Add("counter", 0), has: store.Check("greeting"), missing: store.Check("nobody set this"));
        });
        got.Should().AllSatisfy(r =>
        {
            r.greeting.Should().Be("from rank 1");
            r.counter.Should().Be(30);
            r.has.Should().BeTrue();
            r.missing.Should().BeFalse();
        });
    }

    [Fact]
    public void File_store_is_shared_by_two_handles_on_one_file()
    {
        var dir = Directory.CreateTempSubdirectory("replab-filestore-");
        try
        {
            var path = Path.Combine(dir.FullName, "store");
            using var a = Store.File(path, 2, TimeSpan.FromSeconds(5));
            using var b = Store.File(path, 2, TimeSpan.FromSeconds(5));
            a.Set("k", [1, 2, 3]);
            b.Get("k").Should().Equal(1, 2, 3);
            a.Add("n", 2).Should().Be(2);
            b.Add("n", 5).Should().Be(7);
            b.Check("k").Should().BeTrue();
            a.Port.Should().Be(0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void All_gather_gradient_averaged_over_ranks_equals_the_global_batch_gradient()
    {
        // A loss coupling every pair of samples (as contrastive losses do), on an 8-row global batch.
        long[] shape = [8, 5];
        torch.manual_seed(11);
        var x = torch.randn(shape).data<float>();
        var w = torch.randn(5, 3).data<float>();
        var c = torch.randn(8, 8).data<float>();
        Tensor Loss(Tensor z) => (z.mm(z.t()).tanh() * torch.tensor(c, 8, 8)).sum();

        using var whole = torch.tensor(x, shape).requires_grad_();
        Loss(whole.mm(torch.tensor(w, 5, 3))).backward();
        var want = whole.grad!.data<float>();

        var got = Ranks((g, _) =>
        {
            var part = Rows(x, shape, 4 * g.Rank, 4).requires_grad_();
            var gathered = all_gather(part.mm(torch.tensor(w, 5, 3)), g);
            gathered.shape.Should().Equal(8, 3);
            Loss(gathered).backward();
            // Data parallelism averages gradients over the ranks.
            return (part.grad! / World).data<float>();
        });
        // Tolerance 1e-5 relative to the largest gradient: both sides run the same float32 operators.
        ShouldMatch([.. got[0], .. got[1]], want, 1e-5, "x.grad");
    }

    [Fact]
    public void All_gather_backward_sums_the_gradients_of_every_ranks_loss()
    {
        // Rank r's loss weighs the gathered batch by its own c_r: x_r's gradient is the sum over ranks of c_r's rows for r.
        var got = Ranks((g, _) =>
        {
            var x = torch.full([2, 3], g.Rank + 1).requires_grad_();
            var gathered = all_gather(x, g);
            gathered.data<float>().Should().Equal(1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2);
            var c = torch.arange(12, ScalarType.Float32).reshape(4, 3) * (g.Rank == 0 ? 1 : 100);
            (gathered * c).sum().backward();
            return x.grad!.data<float>();
        });
        got[0].Should().Equal(0, 101, 202, 303, 404, 505);
        got[1].Should().Equal(606, 707, 808, 909, 1010, 1111);
    }

    [Fact]
    public void All_reduce_is_a_differentiable_sum_over_ranks()
    {
        var got = Ranks((g, _) =>
        {
            var r = g.Rank + 1;
            var x = torch.full([3], r).requires_grad_();
            var y = all_reduce(x * r, g);   // 1 * 1 + 2 * 2 = 5 in every element
            (y * (10 * r)).sum().backward(); // dL/dx_r = r * (10 + 20)
            return (y.data<float>(), x.grad!.data<float>());
        });
        got[0].Item1.Should().Equal(5, 5, 5);
        got[1].Item1.Should().Equal(5, 5, 5);
        got[0].Item2.Should().Equal(30, 30, 30);
        got[1].Item2.Should().Equal(60, 60, 60);
    }

    private sealed record BnResult(float[] Y, float[] Gx, float[] Gw, float[] Gb, float[] RunningMean, float[] RunningVar, long Batches, float[] Eval);

    private static BnResult RunBatchNorm(float[] x, long[] shape, long start, long rows, float[] gy, float[] w, float[] b, ProcessGroup? group)
    {
        var bn = new nn.BatchNorm2d(shape[1], momentum: 0.3);
        using (torch.no_grad())
        {
            bn.weight!.copy_(torch.tensor(w));
            bn.bias!.copy_(torch.tensor(b));
        }
        // Batch norm then ReLU: Sequential hands the activation to the batch norm (the fused path).
        var model = new nn.Sequential(bn, new nn.ReLU()).convert_sync_batchnorm(group);
        bn.sync_group.Should().BeSameAs(group);
        var input = Rows(x, shape, start, rows).requires_grad_();
        var y = model.forward(input);
        (y * Rows(gy, shape, start, rows)).sum().backward();
        Tensor gw = bn.weight!.grad!, gb = bn.bias!.grad!;
        group?.AllReduce([gw, gb]); // what data parallelism does with parameter gradients (summed: the loss is a sum)
        // Evaluation ignores the group: the running statistics, per sample.
        model.eval();
        var eval = model.forward(input.detach());
        return new(y.data<float>(), input.grad!.data<float>(), gw.data<float>(), gb.data<float>(),
            bn.running_mean!.data<float>(), bn.running_var!.data<float>(), bn.num_batches_tracked!.item<long>(), eval.data<float>());
    }

    [Fact]
    public void Sync_batch_norm_over_two_ranks_equals_one_batch_norm_over_the_global_batch()
    {
        // Uneven halves (5 and 3 samples): the statistics must weigh ranks by their counts.
        long[] shape = [8, 3, 4, 4];
        torch.manual_seed(5);
        var x = (torch.randn(shape) * 2 + 0.5).data<float>();
        var gy = torch.randn(shape).data<float>();
        var w = (torch.rand([3]) + 0.5).data<float>();
        var b = torch.randn([3]).data<float>();
        BnResult want;
        using (torch.NewDisposeScope()) want = RunBatchNorm(x, shape, 0, 8, gy, w, b, group: null);

        long[] starts = [0, 5], counts = [5, 3];
        var got = Ranks((g, _) => RunBatchNorm(x, shape, starts[g.Rank], counts[g.Rank], gy, w, b, g));
        // Tolerance 1e-5 relative to each quantity's largest value: our statistics are float64 sums of
        // float32 per-rank moments, the golden's the fused float32 kernel's.
        ShouldMatch([.. got[0].Y, .. got[1].Y], want.Y, 1e-5, "y");
        ShouldMatch([.. got[0].Gx, .. got[1].Gx], want.Gx, 1e-5, "x.grad");
        ShouldMatch([.. got[0].Eval, .. got[1].Eval], want.Eval, 1e-5, "eval output");
        foreach (var r in got)
        {
            ShouldMatch(r.Gw, want.Gw, 1e-5, "weight.grad");
            ShouldMatch(r.Gb, want.Gb, 1e-5, "bias.grad");
            ShouldMatch(r.RunningMean, want.RunningMean, 1e-5, "running_mean");
            ShouldMatch(r.RunningVar, want.RunningVar, 1e-5, "running_var");
            r.Batches.Should().Be(1);
        }
    }

    [Fact]
    public void A_rank_that_never_joins_fails_the_collective_within_the_timeout()
    {
        using var rank0Done = new ManualResetEventSlim();
        var got = Ranks((g, _) =>
        {
            if (g.Rank == 1)
            {
                rank0Done.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
                return (message: "", seconds: 0.0);
            }
            var clock = Stopwatch.StartNew();
            try
            {
                var act = () => g.AllReduce(torch.ones(4));
                var e = act.Should().Throw<TorchException>().Which;
                return (message: e.Message, seconds: clock.Elapsed.TotalSeconds);
            }
            finally
            {
                rank0Done.Set();
            }
        }, timeoutSeconds: 2);
        got[0].message.Should().StartWith("all_reduce failed on rank 0 of 2: ").And.Contain("timed out");
        got[0].seconds.Should().BeInRange(1.5, 10, "the group's timeout is 2 s");
    }

    [Fact]
    public void A_rank_whose_group_is_gone_fails_its_peer_clearly()
    {
        using var rank1Gone = new ManualResetEventSlim();
        var got = Ranks((g, _) =>
        {
            if (g.Rank == 1)
            {
                g.Dispose();
                rank1Gone.Set();
                return (message: "", seconds: 0.0);
            }
            rank1Gone.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            var clock = Stopwatch.StartNew();
            var act = () => g.AllGather(torch.ones(4));
            var e = act.Should().Throw<TorchException>().Which;
            return (message: e.Message, seconds: clock.Elapsed.TotalSeconds);
        }, timeoutSeconds: 2);
        got[0].message.Should().StartWith("all_gather failed on rank 0 of 2: ");
        got[0].seconds.Should().BeLessThan(10, "the group's timeout is 2 s");
    }

    [Fact]
    public void A_graph_outliving_its_group_reports_the_group_closed()
    {
        var got = Ranks((g, _) =>
        {
            var x = torch.ones(3).requires_grad_();
            var y = all_reduce(x, g);
            g.Dispose();
            var act = () => y.sum().backward();
            return act.Should().Throw<TorchException>().Which.Message;
        });
        got[0].Should().Contain("failed on rank 0 of 2").And.Contain("closed");
        got[1].Should().Contain("failed on rank 1 of 2").And.Contain("closed");
    }

    [Fact]
    public void Nccl_without_cuda_is_a_clear_error_and_bad_arguments_are_refused()
    {
        using var store = Store.Tcp("127.0.0.1", 0, 1, isServer: true, TimeSpan.FromSeconds(5));
        if (!torch.cuda.is_available())
        {
            var nccl = () => ProcessGroup.Nccl(store, 0, 1, TimeSpan.FromSeconds(5));
            nccl.Should().Throw<TorchException>().WithMessage("*NCCL*");
        }
        var badRank = () => ProcessGroup.Gloo(store, 3, 2, TimeSpan.FromSeconds(5));
        badRank.Should().Throw<TorchException>().WithMessage("*rank 3*");
        var badTimeout = () => ProcessGroup.Gloo(store, 0, 1, TimeSpan.Zero);
        badTimeout.Should().Throw<ArgumentOutOfRangeException>();
        using var solo = ProcessGroup.Gloo(store, 0, 1, TimeSpan.FromSeconds(5));
        using var t = torch.tensor(new float[] { 1, 2 });
        solo.AllReduce(t);
        t.data<float>().Should().Equal(1, 2);
        var badRoot = () => solo.Broadcast(t, root: 1);
        badRoot.Should().Throw<TorchException>().WithMessage("*root 1*");
    }
}
