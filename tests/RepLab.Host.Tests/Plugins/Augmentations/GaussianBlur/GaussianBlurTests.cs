using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.GaussianBlur;

/// <summary>
/// Statistics of the gaussian-blur augmentation, created through the registry like any plugin.
/// Expected values come from scalar reference formulas written here (Gaussian), not from the
/// plugin's own code.
/// </summary>
public class GaussianBlurTests
{
    [Fact]
    public void Blur_keeps_a_constant_image_constant_and_smooths_noise()
    {
        using var scope = torch.NewDisposeScope();
        var constant = torch.full([32, 3, 28, 28], 0.3);
        var blur = Always("gaussian-blur", ("Sigma", new[] { 1.0, 2.0 }));
        (Apply(blur, constant, seed: 15) - 0.3).abs().max().item<float>().Should().BeLessThan(1e-6f, "the kernel sums to 1 and reflect padding adds no black");
        var noise = Uniform([32, 3, 28, 28], 17);
        var smooth = Apply(blur, noise, seed: 15);
        var before = Doubles(noise.flatten(1).var(1));
        var after = Doubles(smooth.flatten(1).var(1));
        // A 3-tap kernel of sigma >= 1 averages about three pixels per pass: variance falls below half.
        Enumerable.Range(0, 32).Should().OnlyContain(i => after[i] < 0.6 * before[i]);
    }

    [Fact]
    public void Blur_of_an_impulse_is_the_outer_product_of_a_gaussian_with_sigma_in_range()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 200, side = 32, centre = 16;
        // Fraction 0.3 of 32: floor(9.6) = 9 pixels, radius 4.
        const int radius = 4;
        var (smin, smax) = (0.6, 1.6);
        var x = torch.zeros([n, 1, side, side], ScalarType.Float64);
        x.narrow(2, centre, 1).narrow(3, centre, 1).fill_(1);
        var y = Apply(Always("gaussian-blur", ("Sigma", new[] { smin, smax }), ("KernelFraction", 0.3)), x, seed: 16);
        var ys = Doubles(y);
        double At(int i, int r, int c) => ys[(i * side + r) * side + c];
        var sigmas = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Separable: the centre row is k[centre] k[j]; its ratio at j = 1 gives exp(-1 / (2 sigma^2)).
            sigmas[i] = Math.Sqrt(-1 / (2 * Math.Log(At(i, centre, centre + 1) / At(i, centre, centre))));
            var reference = Enumerable.Range(-radius, 2 * radius + 1).Select(j => Math.Exp(-j * j / (2 * sigmas[i] * sigmas[i]))).ToArray();
            var total = reference.Sum();
            for (var r = -radius - 1; r <= radius + 1; r++)
            for (var c = -radius - 1; c <= radius + 1; c++)
            {
                var inside = Math.Abs(r) <= radius && Math.Abs(c) <= radius;
                var expected = inside ? reference[r + radius] * reference[c + radius] / (total * total) : 0;
                At(i, centre + r, centre + c).Should().BeApproximately(expected, 1e-12, "a normalised Gaussian of side 9");
            }
        }
        ShouldCover(sigmas, smin, smax);
    }

    [Theory]
    [InlineData(28, 0.1, 3)]
    [InlineData(32, 0.1, 3)]
    [InlineData(224, 0.1, 23)]
    [InlineData(20, 0.1, 3)]
    [InlineData(19, 0.1, 1)]
    public void Blur_kernel_side_is_the_fraction_of_the_image_made_odd(int side, double fraction, int kernel)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros([1, 1, side, side]);
        x.narrow(2, side / 2, 1).narrow(3, side / 2, 1).fill_(1);
        var y = Apply(Always("gaussian-blur", ("KernelFraction", fraction), ("Sigma", new[] { 5.0, 5.0 })), x, seed: 0);
        // A wide sigma makes every tap of the kernel visibly non-zero, so the support is its side.
        var row = Doubles(y.select(2, side / 2).flatten());
        row.Count(v => v > 1e-6).Should().Be(kernel);
    }
}
