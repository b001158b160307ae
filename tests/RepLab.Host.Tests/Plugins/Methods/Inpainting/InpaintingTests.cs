using FluentAssertions;
using RepLab.Blocks;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Inpainting;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Inpainting;

public class InpaintingTests
{
    [Fact]
    public void The_central_hole_is_the_middle_square_of_the_requested_side()
    {
        using var scope = torch.NewDisposeScope();
        var method = new InpaintingMethod(new InpaintingOptions { HoleFraction = 0.5 });
        var hole = method.Hole(torch.rand([2, 1, 28, 28]));
        hole.sum().item().Should().Be(2 * 14 * 14);
        var rows = hole[0][0].sum(1).data<float>();
        rows.Select((v, i) => (v, i)).Where(r => r.v > 0).Select(r => r.i).Should().Equal(Enumerable.Range(7, 14), "rows 7 to 20");
        rows.Where(v => v > 0).Should().OnlyContain(v => v == 14);
    }

    [Fact]
    public void Random_holes_have_the_same_size_and_stay_inside_the_image()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var hole = new InpaintingMethod(new InpaintingOptions { Region = HoleRegion.Random, HoleFraction = 0.25 }).Hole(torch.rand([50, 3, 32, 32]));
        hole.sum([1, 2, 3]).data<float>().Should().OnlyContain(v => v == 64, "an 8x8 hole in every image");
        hole.sum(0).data<float>().Distinct().Count().Should().BeGreaterThan(2, "holes at different places");
    }

    [Fact]
    public void The_loss_counts_only_the_hole()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.zeros([1, 1, 4, 4]);
        var hole = torch.zeros([1, 1, 4, 4]);
        hole[0][0][1].fill_(1);
        var outside = image.clone();
        outside[0][0][0].fill_(1);
        InpaintingMethod.HoleLoss(outside, image, hole).item().Should().Be(0, "errors outside the hole do not count");
        var inside = image.clone();
        inside[0][0][1][0].fill_(2);
        InpaintingMethod.HoleLoss(inside, image, hole).item().Should().Be(1, "(2^2 + 0 + 0 + 0) over the hole's 4 values");
    }

    [Fact]
    public void The_adversarial_option_adds_a_discriminator_group_updated_on_its_own()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        new InpaintingMethod(new InpaintingOptions()).Needs.OptimizerGroups.Keys.Should().Equal(["all"]);
        var method = MethodKit.Build(new InpaintingMethod(new InpaintingOptions { AdversarialWeight = 0.001 }));
        method.Needs.OptimizerGroups.Keys.Should().BeEquivalentTo(["all", "discriminator"]);
        var before = Fingerprint.Of(method.Modules["discriminator"]);
        var x = torch.rand([4, 1, 28, 28]);
        var context = new RecordingRunContext();
        method.Step(new TrainBatch([], x, null, torch.arange(4), []), context);
        Fingerprint.Of(method.Modules["discriminator"]).Should().NotBe(before);
        method.Optimizers["all"].param_groups.SelectMany(g => g.Params).Should().NotContain(p => method.Modules["discriminator"].parameters().Contains(p));
    }
}
