using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Losses;

/// <summary>SimCLR's NT-Xent (Chen et al., 2020, eq. 1) on hand-computed values and written out term by term.</summary>
public class NtXentLossTests
{
    [Fact]
    public void Nt_xent_matches_a_hand_computed_value()
    {
        using var scope = torch.NewDisposeScope();
        // Views a, b and a', b' with a = a' = (1, 0), b = b' = (0, 1): each anchor has similarity 1 to its
        // positive and 0 to both negatives, so every term is -log(e / (e + 2)) at temperature 1.
        var z = torch.tensor<double>([1, 0, 0, 1], [2, 2]);
        NtXentLoss.Compute(z, z, 1).item().Should().BeApproximately(Math.Log(1 + 2 / Math.E), 1e-12);
        // At temperature 0.5 and unnormalised inputs (scaled by 3): -log(e^2 / (e^2 + 2)).
        NtXentLoss.Compute(z * 3, z, 0.5).item().Should().BeApproximately(Math.Log(1 + 2 / Math.Exp(2)), 1e-12);
    }

    [Fact]
    public void Nt_xent_agrees_with_the_loss_written_out_term_by_term()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var z1 = torch.randn([3, 4], ScalarType.Float64);
        var z2 = torch.randn([3, 4], ScalarType.Float64);
        var z = F.normalize(torch.cat([z1, z2]), dim: 1).data<double>();
        double Sim(int i, int j) => Enumerable.Range(0, 4).Sum(d => z[i * 4 + d] * z[j * 4 + d]) / 0.2;
        double total = 0;
        for (var i = 0; i < 6; i++)
        {
            var positive = (i + 3) % 6;
            var denominator = Enumerable.Range(0, 6).Where(k => k != i).Sum(k => Math.Exp(Sim(i, k)));
            total += -Math.Log(Math.Exp(Sim(i, positive)) / denominator);
        }
        NtXentLoss.Compute(z1, z2, 0.2).item().Should().BeApproximately(total / 6, 1e-10);
    }

    [Fact]
    public void Views_of_different_shapes_are_refused()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => NtXentLoss.Compute(torch.zeros([2, 3]), torch.zeros([3, 3]), 0.5);
        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[3, 3]*");
    }
}
