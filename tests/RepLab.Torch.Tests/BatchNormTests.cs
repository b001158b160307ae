using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class BatchNormTests
{
    [Fact]
    public void Training_forward_counts_batches_and_normalises()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var bn = new nn.BatchNorm2d(3);
        var x = torch.randn(4, 3, 5, 5);
        var y = bn.forward(x);
        bn.forward(x);
        bn.num_batches_tracked!.item<long>().Should().Be(2);
        y.mean().item().Should().BeApproximately(0, 1e-5);
        bn.running_mean!.abs().max().item().Should().BeGreaterThan(0);
    }

    [Fact]
    public void In_place_integer_scalars_keep_integer_tensors()
    {
        using var t = torch.zeros([2], ScalarType.Int64);
        t.add_(3L).mul_(2L).sub_(1L);
        t.dtype.Should().Be(ScalarType.Int64);
        t.data<long>().Should().Equal(5, 5);
    }
}
