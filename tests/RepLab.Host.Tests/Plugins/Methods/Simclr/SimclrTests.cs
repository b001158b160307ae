using FluentAssertions;
using RepLab.Blocks;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Common;
using RepLab.Plugins.Methods.Simclr;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Simclr;

public class SimclrTests
{
    [Fact]
    public void Nt_xent_matches_a_hand_computed_value()
    {
        using var scope = torch.NewDisposeScope();
        // Views a, b and a', b' with a = a' = (1, 0), b = b' = (0, 1): each anchor has similarity 1 to its
        // positive and 0 to both negatives, so every term is -log(e / (e + 2)) at temperature 1.
        var z = torch.tensor<double>([1, 0, 0, 1], [2, 2]);
        ContrastiveLosses.NtXent(z, z, 1).item().Should().BeApproximately(Math.Log(1 + 2 / Math.E), 1e-12);
        // At temperature 0.5 and unnormalised inputs (scaled by 3): -log(e^2 / (e^2 + 2)).
        ContrastiveLosses.NtXent(z * 3, z, 0.5).item().Should().BeApproximately(Math.Log(1 + 2 / Math.Exp(2)), 1e-12);
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
        ContrastiveLosses.NtXent(z1, z2, 0.2).item().Should().BeApproximately(total / 6, 1e-10);
    }

    [Fact]
    public void A_step_trains_encoder_and_projector_with_lars_and_evaluates_the_encoder()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new SimclrMethod(new SimclrOptions { HiddenDim = 32, OutputDim = 8 }));
        method.Needs.Views.Should().Be(2);
        method.Needs.OptimizerGroups["all"].Kind.Should().Be(OptimizerKind.Lars);
        method.Representation.Should().BeSameAs(method.Modules["encoder"], "the features before the head");
        var before = Fingerprint.Of(method.Modules["projector"]);
        var x = torch.rand([8, 1, 28, 28]);
        method.Step(new TrainBatch([x, x.flip(3)], x, null, torch.arange(8), [null, null]), new RecordingRunContext());
        Fingerprint.Of(method.Modules["projector"]).Should().NotBe(before);
    }
}
