using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Losses;

/// <summary>MoCo's InfoNCE with a queue (He et al., 2020, eq. 1) on hand-computed values.</summary>
public class InfoNceLossTests
{
    [Fact]
    public void Info_nce_matches_a_hand_computed_value()
    {
        using var scope = torch.NewDisposeScope();
        // q = k = (1, 0), one negative (0, 1): logits (1, 0) / T, the positive first.
        var q = torch.tensor<double>([1, 0], [1, 2]);
        var queue = torch.tensor<double>([0, 1], [1, 2]);
        InfoNceLoss.Compute(q, q, queue, 1).item().Should().BeApproximately(Math.Log(1 + 1 / Math.E), 1e-12);
        InfoNceLoss.Compute(q, q, queue, 0.2).item().Should().BeApproximately(Math.Log(1 + Math.Exp(-5)), 1e-12);
    }
}
