using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.RandomFlip;

public class RandomFlipTests
{
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    public void Flips_about_half_the_samples_and_each_is_the_original_or_its_exact_mirror(bool vertical, int channels)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, channels, 8, 8], 17);
        var y = Apply(Create("random-flip", ("Vertical", vertical)), x, seed: 7);
        var mirror = x.flip(vertical ? 2 : 3);
        var same = MaxAbsDiff(y, x);
        var mirrored = MaxAbsDiff(y, mirror);
        Enumerable.Range(0, n).Should().OnlyContain(i => same[i] == 0 || mirrored[i] == 0);
        mirrored.Count(d => d == 0).Should().BeInRange(900, 1100, "p = 0.5 per sample");
    }

    [Fact]
    public void Flip_probability_0_is_the_identity_and_1_mirrors_everything()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand([64, 3, 8, 8]);
        Apply(Create("random-flip", ("P", 0.0)), x, seed: 8).equal(x).Should().BeTrue();
        Apply(Create("random-flip", ("P", 1.0)), x, seed: 8).equal(x.flip(3)).Should().BeTrue();
    }
}
