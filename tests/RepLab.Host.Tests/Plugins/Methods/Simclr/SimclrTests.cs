using FluentAssertions;
using RepLab.Blocks;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Simclr;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Simclr;

public class SimclrTests
{
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
