using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.RandomErasing;

public class RandomErasingTests
{
    [Fact]
    public void Erased_rectangles_have_their_drawn_area_and_aspect()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 500, side = 64;
        var (smin, smax, rmin, rmax) = (0.02, 0.33, 0.3, 3.3);
        var y = Apply(Always("random-erasing", ("Value", 0.25)), torch.ones([n, 3, side, side]), seed: 20);
        var ys = Doubles(y.select(1, 0));
        Doubles(y.select(1, 2)).Should().Equal(ys, "every channel is erased alike");
        var fractions = new double[n];
        for (var i = 0; i < n; i++)
        {
            var erased = Enumerable.Range(0, side * side).Where(j => ys[i * side * side + j] != 1).ToArray();
            erased.Should().OnlyContain(j => ys[i * side * side + j] == 0.25, "the value option fills the rectangle");
            var (rows, cols) = (erased.Select(j => j / side).Distinct().Count(), erased.Select(j => j % side).Distinct().Count());
            erased.Length.Should().Be(rows * cols, "the erased pixels form one rectangle");
            // Sides are rounded to whole pixels: the drawn sides lie within half a pixel of them, and
            // a rectangle is never as tall or as wide as the image (such candidates are drawn again).
            rows.Should().BeLessThan(side);
            cols.Should().BeLessThan(side);
            var hi = (rows + 0.5) * (cols + 0.5) / (side * side);
            var lo = (rows - 0.5) * (cols - 0.5) / (side * side);
            hi.Should().BeGreaterThanOrEqualTo(smin);
            lo.Should().BeLessThanOrEqualTo(smax);
            // Aspect is height / width, as torchvision's.
            ((rows + 0.5) / (cols - 0.5)).Should().BeGreaterThanOrEqualTo(rmin);
            ((rows - 0.5) / (cols + 0.5)).Should().BeLessThanOrEqualTo(rmax);
            fractions[i] = (double)erased.Length / (side * side);
        }
        fractions.Min().Should().BeLessThan(0.03);
        fractions.Max().Should().BeGreaterThan(0.25);
        // Uniform area in [0.02, 0.33] has mean 0.175; redrawn candidates and rounding move it a little.
        fractions.Average().Should().BeApproximately(0.175, 0.02);
    }

    [Fact]
    public void Erasing_leaves_a_sample_whole_when_no_candidate_fits()
    {
        using var scope = torch.NewDisposeScope();
        // Nine tenths of the area at an aspect of 3 or more is taller than the image every time.
        var y = Apply(Always("random-erasing", ("Scale", new[] { 0.9, 1.0 }), ("Ratio", new[] { 3.0, 3.3 })), torch.ones([50, 1, 16, 16]), seed: 4);
        Doubles(y).Should().OnlyContain(v => v == 1, "torchvision erases nothing after 10 candidates that do not fit");
        var fits = Apply(Always("random-erasing", ("Scale", new[] { 0.1, 0.2 }), ("Ratio", new[] { 1.0, 1.0 })), torch.ones([50, 1, 16, 16]), seed: 4);
        Doubles(fits).Count(v => v != 1).Should().BeGreaterThan(50 * 20, "small square candidates always fit");
    }
}
