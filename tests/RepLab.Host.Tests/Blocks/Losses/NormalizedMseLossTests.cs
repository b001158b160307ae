using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Losses;

/// <summary>BYOL's normalised regression loss (Grill et al., 2020, eq. 2) on hand-computed values.</summary>
public class NormalizedMseLossTests
{
    [Fact]
    public void The_regression_loss_is_two_minus_twice_the_cosine()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.tensor<double>([1, 0, 2, 2], [2, 2]);
        var z = torch.tensor<double>([0, 3, 1, 1], [2, 2]);
        // Orthogonal: 2; parallel: 0; mean 1.
        NormalizedMseLoss.Compute(p, z).item().Should().BeApproximately(1, 1e-12);
    }

    [Fact]
    public void It_is_the_squared_distance_of_the_normalised_vectors_averaged_over_the_batch()
    {
        using var scope = torch.NewDisposeScope();
        // (3, 4) and (4, 3): cos = 24 / 25, so 2 - 2 x 0.96 = 0.08; (1, 0) and (-2, 0): opposite, 4.
        var p = torch.tensor<double>([3, 4, 1, 0], [2, 2]);
        var z = torch.tensor<double>([4, 3, -2, 0], [2, 2]);
        NormalizedMseLoss.Compute(p, z).item().Should().BeApproximately((0.08 + 4) / 2, 1e-12);
    }

    [Fact]
    public void The_target_gets_no_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.tensor<double>([3, 4], [1, 2]).requires_grad_();
        var z = torch.tensor<double>([4, 3], [1, 2]).requires_grad_();
        NormalizedMseLoss.Compute(p, z).backward();
        p.grad.Should().NotBeNull();
        z.grad.Should().BeNull("the target is detached: BYOL's stop-gradient");
    }
}
