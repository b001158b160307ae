using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.Normalize;

public class NormalizeTests
{
    [Fact]
    public void Normalize_matches_the_formula_per_channel()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([8, 3, 4, 4], 21);
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        var y = Apply(Create("normalize", ("Mean", mean), ("Std", std)), x, seed: 0);
        var (xs, ys) = (Doubles(x), Doubles(y));
        for (var j = 0; j < xs.Length; j++)
        {
            var c = j / 16 % 3;
            ys[j].Should().BeApproximately((xs[j] - mean[c]) / std[c], 1e-5);
        }
        var defaults = Doubles(Apply(Create("normalize"), x, seed: 0));
        for (var j = 0; j < xs.Length; j++) defaults[j].Should().BeApproximately(2 * xs[j] - 1, 1e-6, "one entry applies to every channel");
    }

    [Fact]
    public void Normalize_rejects_a_list_that_does_not_match_the_channels()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => Apply(Create("normalize", ("Mean", new[] { 0.1, 0.2, 0.3 })), torch.rand([2, 1, 4, 4]), seed: 0);
        act.Should().Throw<ArgumentException>().WithMessage("*mean has 3 entries*1 channels*");
    }
}
