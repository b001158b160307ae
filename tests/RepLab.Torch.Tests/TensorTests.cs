using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class TensorTests
{
    [Fact]
    public void Creation_from_array_keeps_values_shape_and_dtype()
    {
        using var t = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        t.shape.Should().Equal(2, 3);
        t.dtype.Should().Be(ScalarType.Float32);
        t.device.Should().Be(Device.CPU);
        t.data<float>().Should().Equal(1, 2, 3, 4, 5, 6);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.UInt8)]
    [InlineData(ScalarType.Bool)]
    public void Every_dtype_round_trips_through_conversion(ScalarType dtype)
    {
        using var src = torch.tensor(new double[] { 0, 1, 1, 0, 1, 1 }, 2, 3);
        using var t = src.to(dtype);
        t.dtype.Should().Be(dtype);
        t.bytes().Length.Should().Be(6 * dtype.ElementSize());
        using var back = t.to(ScalarType.Float64);
        back.data<double>().Should().Equal(0, 1, 1, 0, 1, 1);
    }

    [Fact]
    public void Factories_make_what_pytorch_makes()
    {
        using var z = torch.zeros(2, 3);
        z.sum().item().Should().Be(0);
        using var o = torch.ones([4], ScalarType.Int64);
        o.data<long>().Should().Equal(1, 1, 1, 1);
        using var f = torch.full([2], 2.5);
        f.data<float>().Should().Equal(2.5f, 2.5f);
        using var a = torch.arange(0, 10, 3);
        a.data<long>().Should().Equal(0, 3, 6, 9);
        using var l = torch.linspace(0, 1, 5);
        l.data<float>().Should().Equal(0, 0.25f, 0.5f, 0.75f, 1);
        using var e = torch.eye(3);
        e.sum().item().Should().Be(3);
        e.diag().data<float>().Should().Equal(1, 1, 1);
    }

    [Fact]
    public void Random_factories_follow_the_seed_and_a_private_generator()
    {
        torch.manual_seed(7);
        using var a = torch.randn(5);
        torch.manual_seed(7);
        using var b = torch.randn(5);
        a.equal(b).Should().BeTrue();
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        using var c = torch.rand([4], generator: g1);
        using var d = torch.rand([4], generator: g2);
        c.equal(d).Should().BeTrue();
        c.data<float>().Should().OnlyContain(v => v >= 0 && v < 1);
        using var r = torch.randint(2, 5, [1000]);
        r.data<long>().Should().OnlyContain(v => v >= 2 && v < 5);
        using var p = torch.randperm(10);
        p.data<long>().Order().Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));
    }

    [Fact]
    public void Rng_state_restores_the_stream()
    {
        torch.manual_seed(1);
        using var state = torch.get_rng_state();
        using var a = torch.rand(8);
        torch.set_rng_state(state);
        using var b = torch.rand(8);
        a.equal(b).Should().BeTrue();
    }

    [Fact]
    public void Views_and_indexing_behave_like_pytorch()
    {
        using var t = torch.arange(24).reshape(2, 3, 4);
        using (var p = t.permute(2, 0, 1)) p.shape.Should().Equal(4, 2, 3);
        using (var tr = t.transpose(0, 2)) tr.shape.Should().Equal(4, 3, 2);
        using (var n = t.narrow(2, 1, 2)) n.shape.Should().Equal(2, 3, 2);
        using (var s = t.slice(2, 0, 4, 2)) s.flatten().data<long>().Take(4).Should().Equal(0, 2, 4, 6);
        using (var sel = t[1]) sel.shape.Should().Equal(3, 4);
        using (var idx = torch.tensor(new long[] { 2, 0 }))
        using (var isel = t.index_select(1, idx))
            isel.select(0, 0).select(1, 0).data<long>().Should().Equal(8, 0);
        using (var u = t.unsqueeze(0)) u.shape.Should().Equal(1, 2, 3, 4);
        using (var sq = t.unsqueeze(0).squeeze(0)) sq.shape.Should().Equal(2, 3, 4);
        using (var f = t.flip(2)) f.flatten().data<long>().Take(4).Should().Equal(3, 2, 1, 0);
        using (var r = torch.arange(4).roll(1, 0)) r.data<long>().Should().Equal(3, 0, 1, 2);
        using (var ex = torch.ones(3, 1).expand(3, 4)) ex.shape.Should().Equal(3, 4);
        var parts = t.split(1, 1);
        parts.Should().HaveCount(3);
        var chunks = torch.arange(10).chunk(3);
        chunks.Select(c => c.numel()).Should().Equal(4, 4, 2);
        using var cat = torch.cat(chunks);
        cat.data<long>().Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));
        using var stack = torch.stack(new[] { torch.zeros(2), torch.ones(2) });
        stack.shape.Should().Equal(2, 2);
    }

    [Fact]
    public void Gather_scatter_and_masks_work()
    {
        using var src = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var idx = torch.tensor(new long[] { 1, 0, 0, 0 }, 2, 2);
        using (var g = src.gather(1, idx)) g.data<float>().Should().Equal(2, 1, 3, 3);
        using (var s = torch.zeros(2, 2).scatter_add(1, idx, src)) s.data<float>().Should().Equal(2, 1, 7, 0);
        using var mask = src.gt(2.0);
        using (var m = src.masked_fill(mask, -1)) m.data<float>().Should().Equal(1, 2, -1, -1);
        using (var w = torch.where(mask, src, torch.zeros_like(src))) w.data<float>().Should().Equal(0, 0, 3, 4);
        using (var ms = src[mask]) ms.data<float>().Should().Equal(3, 4);
    }

    [Fact]
    public void Math_broadcasts_and_reduces()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = torch.tensor(new float[] { 10, 20, 30 }, 1, 3);
        using (var c = a + b) c.data<float>().Should().Equal(11, 22, 33, 14, 25, 36);
        using (var c = 1.0 - a) c.data<float>().Should().Equal(0, -1, -2, -3, -4, -5);
        using (var c = a * 2) c.data<float>().Should().Equal(2, 4, 6, 8, 10, 12);
        using (var s = a.sum(1)) s.data<float>().Should().Equal(6, 15);
        using (var m = a.mean(0, keepdim: true)) m.shape.Should().Equal(1, 3);
        a.max().item().Should().Be(6);
        var (vals, ids) = a.max(1);
        vals.data<float>().Should().Equal(3, 6);
        ids.data<long>().Should().Equal(2, 2);
        var (tv, ti) = a.flatten().topk(2);
        tv.data<float>().Should().Equal(6, 5);
        ti.data<long>().Should().Equal(5, 4);
        a.var(1).data<float>().Should().Equal(1, 1);
        using (var x = a.matmul(a.T)) x.data<float>().Should().Equal(14, 32, 32, 77);
        using (var cl = a.clamp(2, 4)) cl.data<float>().Should().Equal(2, 2, 3, 4, 4, 4);
        using (var lse = torch.zeros(2, 3).logsumexp(1)) lse.data<float>()[0].Should().BeApproximately((float)Math.Log(3), 1e-6f);
    }

    [Fact]
    public void Integer_scalars_keep_integer_dtype()
    {
        using var t = torch.arange(5);
        using var u = t + 1;
        u.dtype.Should().Be(ScalarType.Int64);
        using var v = t * 0.5;
        v.dtype.Should().Be(ScalarType.Float32);
    }

    [Fact]
    public void A_libtorch_error_is_an_exception_with_libtorchs_message_and_the_process_lives_on()
    {
        using var x = torch.randn(1, 3, 8, 8);
        using var w = torch.randn(4, 5, 3, 3);
        var act = () => F.conv2d(x, w);
        act.Should().Throw<TorchException>().Which.Message.Should().Contain("expected input[1, 3, 8, 8] to have 5 channels");
        using var ok = torch.randn(4, 3, 3, 3);
        using var y = F.conv2d(x, ok);
        y.shape.Should().Equal(1, 4, 6, 6);
    }

    [Fact]
    public void Dispose_scope_frees_temporaries_but_keeps_what_is_moved_out()
    {
        var before = torch.live_tensors;
        Tensor kept;
        using (var scope = torch.NewDisposeScope())
        {
            var a = torch.ones(3);
            var b = a * 2;
            var c = b + a;
            kept = c.MoveToOuterScope();
            torch.live_tensors.Should().Be(before + 3);
            scope.Count.Should().Be(2, "a and b stay with the scope, c moved out");
        }
        torch.live_tensors.Should().Be(before + 1);
        kept.IsDisposed.Should().BeFalse();
        kept.data<float>().Should().Equal(3, 3, 3);
        kept.Dispose();
        torch.live_tensors.Should().Be(before);
    }

    [Fact]
    public void Device_parses_and_cuda_availability_is_reported()
    {
        Device.Parse("cpu").Should().Be(Device.CPU);
        Device.Parse("cuda:1").Should().Be(Device.CUDA(1));
        var act = () => Device.Parse("tpu");
        act.Should().Throw<ArgumentException>();
        (torch.cuda.device_count() > 0).Should().Be(torch.cuda.is_available());
    }
}
