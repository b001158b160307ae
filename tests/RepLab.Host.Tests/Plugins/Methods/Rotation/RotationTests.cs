using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Rotation;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Rotation;

public class RotationTests
{
    [Fact]
    public void Each_label_names_the_quarter_turns_its_image_shows()
    {
        using var scope = torch.NewDisposeScope();
        // torch.rot90([[1, 2], [3, 4]], k) over dims (2, 3): k = 1 [[2, 4], [1, 3]], k = 2 [[4, 3], [2, 1]], k = 3 [[3, 1], [4, 2]].
        var x = torch.tensor<float>([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]);
        var (images, labels) = RotationMethod.AllRotations(x);
        labels.data<long>().Should().Equal([0L, 0, 1, 1, 2, 2, 3, 3]);
        var v = images.flatten().data<float>();
        v[..8].Should().Equal([1f, 2, 3, 4, 5, 6, 7, 8], "k = 0 is the image itself");
        v[8..12].Should().Equal([2f, 4, 1, 3]);
        v[16..20].Should().Equal([4f, 3, 2, 1]);
        v[24..28].Should().Equal([3f, 1, 4, 2]);
        v[28..32].Should().Equal([7f, 5, 8, 6], "the second image's three quarter turns");
    }

    [Fact]
    public void A_step_classifies_four_rotations_of_every_image()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new RotationMethod(new RotationOptions { HiddenDim = 16 }));
        method.Needs.Views.Should().Be(0, "it rotates the images itself");
        var x = torch.rand([6, 1, 28, 28]);
        var context = new RecordingRunContext();
        method.Step(new TrainBatch([], x, null, torch.arange(6), []), context);
        context.Logged["train/rotation-accuracy"].Should().BeInRange(0, 1);
        Action odd = () => RotationMethod.AllRotations(torch.rand([2, 1, 28, 30]));
        odd.Should().Throw<ArgumentException>().WithMessage("*square*");
    }
}
