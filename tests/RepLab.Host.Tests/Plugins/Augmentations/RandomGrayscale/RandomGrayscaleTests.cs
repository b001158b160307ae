using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.RandomGrayscale;

/// <summary>
/// Statistics of the random-grayscale augmentation, created through the registry like any plugin.
/// Expected values come from scalar reference formulas written here (BT.601 luma), not from the
/// plugin's own code.
/// </summary>
public class RandomGrayscaleTests
{
    [Fact]
    public void Grayscale_samples_hold_the_bt601_luma_in_every_channel_and_the_others_are_untouched()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, 3, 4, 4], 15);
        var y = Apply(Create("random-grayscale"), x, seed: 13);
        y.shape.Should().Equal(x.shape);
        var (xs, ys) = (Doubles(x), Doubles(y));
        var grayed = 0;
        for (var i = 0; i < n; i++)
        {
            var o = i * 48;
            var same = Enumerable.Range(0, 48).All(j => ys[o + j] == xs[o + j]);
            if (same) continue;
            grayed++;
            for (var p = 0; p < 16; p++)
            {
                var luma = 0.299 * xs[o + p] + 0.587 * xs[o + 16 + p] + 0.114 * xs[o + 32 + p];
                for (var c = 0; c < 3; c++) ys[o + c * 16 + p].Should().BeApproximately(luma, 1e-6);
            }
        }
        // Binomial(2000, 0.2): standard deviation 17.9.
        grayed.Should().BeInRange(330, 470, "default p = 0.2");
    }

    [Fact]
    public void Grayscale_leaves_one_channel_images_as_they_are()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([16, 1, 4, 4], 16);
        Apply(Always("random-grayscale"), x, seed: 14).equal(x).Should().BeTrue();
    }
}
