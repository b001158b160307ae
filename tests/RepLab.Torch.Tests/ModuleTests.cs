using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class ModuleTests
{
    private static nn.Sequential Small() => new(
        new nn.Conv2d(1, 4, 3, padding: 1), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3));

    [Fact]
    public void State_dict_keys_and_order_match_pytorch()
    {
        using var m = Small();
        var sd = m.state_dict();
        sd.Keys.Should().Equal(
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias");
        sd["1.num_batches_tracked"].dtype.Should().Be(ScalarType.Int64);
        m.parameter_count().Should().Be(4 * 9 + 4 + 4 + 4 + 3 * 64 + 3);
        m.named_parameters().Select(p => p.name).Should().NotContain("1.running_mean");
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void Load_state_dict_copies_values_and_reports_every_problem_by_name()
    {
        using var a = Small();
        using var b = Small();
        var sd = a.state_dict();
        b.load_state_dict(sd).Clean.Should().BeTrue();
        b.state_dict()["4.weight"].equal(sd["4.weight"]).Should().BeTrue();

        var broken = new Dictionary<string, Tensor>(sd);
        broken.Remove("0.bias");
        broken["extra.weight"] = torch.zeros(1);
        broken["4.weight"] = torch.zeros(3, 65);
        var act = () => b.load_state_dict(broken);
        var ex = act.Should().Throw<StateDictException>().Which;
        ex.Report.Missing.Should().Equal("0.bias");
        ex.Report.Unexpected.Should().Equal("extra.weight");
        ex.Report.Mismatched.Should().ContainSingle().Which.Should().Contain("4.weight").And.Contain("[3, 65]").And.Contain("[3, 64]");
        ex.Message.Should().Contain("0.bias").And.Contain("extra.weight");

        var partial = new Dictionary<string, Tensor>(sd);
        partial.Remove("0.bias");
        b.load_state_dict(partial, strict: false).Missing.Should().Equal("0.bias");
    }

    [Fact]
    public void Train_and_eval_switch_batch_norm_between_batch_and_running_statistics()
    {
        torch.manual_seed(0);
        using var bn = new nn.BatchNorm2d(2);
        using var x = torch.randn(8, 2, 3, 3) * 3 + 5;
        using (var y = bn.forward(x))
        using (var m = y.mean([0, 2, 3]))
            m.data<float>().Should().OnlyContain(v => Math.Abs(v) < 1e-5);
        bn.running_mean!.data<float>().Should().OnlyContain(v => v > 0.3f, "momentum 0.1 moved the running mean towards 5");
        bn.num_batches_tracked!.item<long>().Should().Be(1);
        bn.eval();
        bn.training.Should().BeFalse();
        using (var y = bn.forward(x))
        using (var m = y.mean([0, 2, 3]))
            m.data<float>().Should().OnlyContain(v => v > 1, "eval uses running statistics, not the batch's");
        bn.num_batches_tracked!.item<long>().Should().Be(1);
    }

    [Fact]
    public void Freezing_stops_gradients_and_moving_keeps_identity()
    {
        using var m = Small();
        m.requires_grad_(false);
        m.parameters().Should().OnlyContain(p => !p.requires_grad);
        m.parameter_count(trainable_only: true).Should().Be(0);
        var w = m.parameters().First();
        m.to(Device.CPU, ScalarType.Float64);
        ReferenceEquals(w, m.parameters().First()).Should().BeTrue();
        w.dtype.Should().Be(ScalarType.Float64);
        m.state_dict()["1.num_batches_tracked"].dtype.Should().Be(ScalarType.Int64, "integer buffers keep their dtype");
    }

    [Fact]
    public void Module_dispose_frees_its_parameters_and_buffers()
    {
        var before = torch.live_tensors;
        var m = Small();
        torch.live_tensors.Should().BeGreaterThan(before);
        m.Dispose();
        torch.live_tensors.Should().Be(before);
    }

    [Fact]
    public void Layers_compute_the_expected_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(2, 3, 8, 8);
        new nn.ConvTranspose2d(3, 5, 4, stride: 2, padding: 1).forward(x).shape.Should().Equal(2, 5, 16, 16);
        new nn.MaxPool2d(2).forward(x).shape.Should().Equal(2, 3, 4, 4);
        new nn.AvgPool2d(2).forward(x).shape.Should().Equal(2, 3, 4, 4);
        new nn.AdaptiveAvgPool2d(1).forward(x).shape.Should().Equal(2, 3, 1, 1);
        new nn.Upsample(scale_factor: 2).forward(x).shape.Should().Equal(2, 3, 16, 16);
        new nn.GroupNorm(1, 3).forward(x).shape.Should().Equal(2, 3, 8, 8);
        new nn.LayerNorm([3, 8, 8]).forward(x).shape.Should().Equal(2, 3, 8, 8);
        new nn.Unflatten(1, [4, 48]).forward(x.flatten(1)).shape.Should().Equal(2, 4, 48);
        new nn.Identity().forward(x).equal(x).Should().BeTrue();
        var drop = new nn.Dropout(0.5);
        drop.eval();
        drop.forward(x).equal(x).Should().BeTrue();
        var bn1 = new nn.BatchNorm1d(3);
        var act = () => bn1.forward(x);
        act.Should().Throw<ArgumentException>().WithMessage("*2 or 3-D input, got 4-D*");
    }

    [Fact]
    public void Layers_expose_their_arguments_as_pytorch_stores_them()
    {
        using var conv = new nn.Conv2d(4, 6, 3, stride: 2, padding: 1, dilation: 2, groups: 2, bias: false);
        (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups).Should().BeEquivalentTo(
            (new[] { 3L, 3 }, new[] { 2L, 2 }, new[] { 1L, 1 }, new[] { 2L, 2 }, 2L));
        var pool = new nn.MaxPool2d(3, padding: 1);
        (pool.kernel_size, pool.stride, pool.padding).Should().Be((3, 3, 1), "the stride defaults to the kernel size");
        var avg = new nn.AvgPool2d(2, stride: 1);
        (avg.kernel_size, avg.stride, avg.padding).Should().Be((2, 1, 0));
        (new nn.AdaptiveMaxPool2d(4).output_size, new nn.AdaptiveAvgPool2d(1).output_size).Should().Be((4, 1));
        var flatten = new nn.Flatten(2);
        (flatten.start_dim, flatten.end_dim).Should().Be((2, -1));
    }
}
