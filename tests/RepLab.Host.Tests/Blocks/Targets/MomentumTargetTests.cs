using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Targets;

/// <summary>The EMA target of MoCo (He et al., 2020, eq. 2) and BYOL (Grill et al., 2020, eq. 1) on hand values.</summary>
public class MomentumTargetTests
{
    private static nn.Sequential Net(double weight, double bias, double runningMean)
    {
        var net = new nn.Sequential(new nn.Linear(1, 1), new nn.BatchNorm1d(1));
        using var ng = torch.no_grad();
        var state = net.state_dict();
        state["0.weight"].fill_(weight);
        state["0.bias"].fill_(bias);
        state["1.running_mean"].fill_(runningMean);
        return net;
    }

    [Fact]
    public void Parameters_move_by_the_momentum_formula_and_buffers_are_copied()
    {
        using var scope = torch.NewDisposeScope();
        using var target = Net(weight: 1, bias: -2, runningMean: 5);
        using var online = Net(weight: 3, bias: 2, runningMean: 7);
        target.requires_grad_(false);
        MomentumTarget.Update(target, online, 0.75);
        var state = target.state_dict();
        // 0.75 x 1 + 0.25 x 3 = 1.5; 0.75 x -2 + 0.25 x 2 = -1.
        state["0.weight"].item().Should().BeApproximately(1.5, 1e-7);
        state["0.bias"].item().Should().BeApproximately(-1, 1e-7);
        state["1.weight"].item().Should().BeApproximately(1, 1e-7, "equal parameters stay where they are");
        state["1.running_mean"].item().Should().Be(7, "buffers are copied, not averaged");
        online.state_dict()["0.weight"].item().Should().Be(3, "the online network is left alone");
        target.parameters().Should().OnlyContain(p => !p.requires_grad && p.grad == null);
    }

    [Fact]
    public void A_momentum_of_one_keeps_the_target_and_zero_copies_the_online_network()
    {
        using var scope = torch.NewDisposeScope();
        using var target = Net(1, 1, 0);
        using var online = Net(3, 3, 0);
        MomentumTarget.Update(target, online, 1);
        target.state_dict()["0.weight"].item().Should().Be(1);
        MomentumTarget.Update(target, online, 0);
        target.state_dict()["0.weight"].item().Should().Be(3);
        var act = () => MomentumTarget.Update(target, online, 1.5);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 1], got 1.5*");
    }

    [Fact]
    public void The_target_runs_without_gradient_and_in_training_mode()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var encoder = new nn.Sequential(new nn.Linear(4, 6), new nn.BatchNorm1d(6));
        using var head = new MlpHead(6, 8, 3);
        encoder.eval();
        head.eval();
        var z = MomentumTarget.Forward(encoder, head, torch.rand([5, 4]));
        z.shape.Should().Equal(5, 3);
        z.requires_grad.Should().BeFalse();
        encoder.training.Should().BeTrue("batch statistics, as the papers' targets use them");
        head.training.Should().BeTrue();
    }
}
