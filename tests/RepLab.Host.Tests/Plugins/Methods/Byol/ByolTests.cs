using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Byol;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Byol;

public class ByolTests
{
    [Fact]
    public void Tau_rises_from_its_base_to_one_on_a_cosine_over_the_run()
    {
        ByolMethod.Tau(0.996, 0, 1000).Should().BeApproximately(0.996, 1e-15);
        ByolMethod.Tau(0.996, 500, 1000).Should().BeApproximately(0.998, 1e-15, "halfway, cos = 0");
        ByolMethod.Tau(0.996, 250, 1000).Should().BeApproximately(1 - 0.004 * (Math.Cos(Math.PI / 4) + 1) / 2, 1e-15);
        ByolMethod.Tau(0.996, 1000, 1000).Should().Be(1);
        ByolMethod.Tau(0.996, 5000, 1000).Should().Be(1, "past the end it stays at 1");
        Enumerable.Range(0, 11).Select(i => ByolMethod.Tau(0.99, i * 100, 1000)).Should().BeInAscendingOrder();
    }

    [Fact]
    public void The_target_follows_the_online_network_at_the_scheduled_rate_and_gets_no_gradient()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new ByolMethod(new ByolOptions { HiddenDim = 16, OutputDim = 8, TauBase = 0.9 }));
        var online = method.Modules["encoder"];
        var target = method.Modules["target-encoder"];
        var t0 = target.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        var x = torch.rand([8, 1, 28, 28]);
        var context = new RecordingRunContext { GlobalStep = 2 };
        method.Step(new TrainBatch([x, x.flip(3)], x, null, torch.arange(8), [null, null]), context);
        var tau = ByolMethod.Tau(0.9, 2, context.Plan.TotalSteps);
        context.Logged["byol/tau"].Should().Be(tau);
        // After the step: target = tau t0 + (1 - tau) online (the online weights after their update).
        foreach (var (name, t) in target.named_parameters())
            t.allclose(t0[name] * tau + online.named_parameters().Single(p => p.name == name).parameter * (1 - tau), 1e-6, 1e-6).Should().BeTrue(name);
        target.parameters().Concat(method.Modules["target-projector"].parameters()).Should().OnlyContain(p => !p.requires_grad);
        method.Modules.Keys.Should().Contain(["projector", "predictor", "target-encoder", "target-projector"]);
    }
}
