using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.Solarize;

public class SolarizeTests
{
    [Fact]
    public void Solarize_inverts_exactly_the_pixels_at_or_above_the_threshold()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([64, 3, 8, 8], 18);
        x.narrow(3, 0, 1).fill_(0.3);
        var y = Apply(Always("solarize", ("Threshold", 0.3)), x, seed: 17);
        var (xs, ys) = (Doubles(x), Doubles(y));
        for (var j = 0; j < xs.Length; j++)
            ys[j].Should().Be(xs[j] >= (double)0.3f ? (double)(1 - (float)xs[j]) : xs[j]);
    }
}
