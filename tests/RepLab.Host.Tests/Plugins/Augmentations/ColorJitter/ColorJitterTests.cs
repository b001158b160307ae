using FluentAssertions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.ColorJitter;

/// <summary>
/// Statistics of the color-jitter augmentation, created through the registry like any plugin.
/// Expected values come from scalar reference formulas written here (HSV, BT.601 luma), not from the
/// plugin's own code.
/// </summary>
public class ColorJitterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Jitter_of_strength_0_is_the_identity(int channels)
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([64, channels, 8, 8], 7);
        var jitter = Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.0), ("Saturation", 0.0), ("Hue", 0.0));
        Apply(jitter, x, seed: 5).equal(x).Should().BeTrue("factors of 1 and a hue shift of 0 change nothing");
    }

    [Fact]
    public void One_channel_images_ignore_saturation_and_hue()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([64, 1, 8, 8], 8);
        var jitter = Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.0), ("Saturation", 0.9), ("Hue", 0.5));
        Apply(jitter, x, seed: 6).equal(x).Should().BeTrue();
    }

    /// <summary>
    /// Per sample, the factor f that maps x onto y as y = f (x - reference) + reference, from the
    /// pixels left unclamped; asserts every such pixel agrees on it.
    /// </summary>
    private static double[] BlendFactors(Tensor x, Tensor y, Func<int, int, double> reference)
    {
        var (n, size) = ((int)x.size(0), (int)(x.numel() / x.size(0)));
        var (xs, ys) = (Doubles(x), Doubles(y));
        var factors = new double[n];
        for (var i = 0; i < n; i++)
        {
            var ratios = Enumerable.Range(0, size)
                .Where(j => ys[i * size + j] is > 1e-6 and < 1 - 1e-6 && Math.Abs(xs[i * size + j] - reference(i, j)) > 0.05)
                .Select(j => (ys[i * size + j] - reference(i, j)) / (xs[i * size + j] - reference(i, j))).ToArray();
            ratios.Should().NotBeEmpty();
            ratios.Max().Should().BeApproximately(ratios.Min(), 1e-4, "one factor per sample");
            factors[i] = ratios.Average();
        }
        return factors;
    }

    [Fact]
    public void Brightness_scales_each_sample_by_a_factor_uniform_in_its_range()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([256, 3, 8, 8], 9);
        var y = Apply(Always("color-jitter", ("Brightness", 0.4), ("Contrast", 0.0), ("Saturation", 0.0), ("Hue", 0.0)), x, seed: 7);
        ShouldCover(BlendFactors(x, y, (_, _) => 0), 0.6, 1.4);
        (y - (x * 1.4).clamp(0, 1)).max().item<float>().Should().BeLessThanOrEqualTo(1e-6f, "clamped like torchvision");
    }

    [Fact]
    public void Contrast_blends_each_sample_with_its_mean_luma()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([256, 3, 8, 8], 10);
        var y = Apply(Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.5), ("Saturation", 0.0), ("Hue", 0.0)), x, seed: 8);
        var xs = Doubles(x);
        var means = Enumerable.Range(0, 256).Select(i => Enumerable.Range(0, 64)
            .Average(p => 0.299 * xs[i * 192 + p] + 0.587 * xs[i * 192 + 64 + p] + 0.114 * xs[i * 192 + 128 + p])).ToArray();
        ShouldCover(BlendFactors(x, y, (i, _) => means[i]), 0.5, 1.5);
    }

    [Fact]
    public void Saturation_blends_each_pixel_with_its_luma()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([256, 3, 8, 8], 11);
        var y = Apply(Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.0), ("Saturation", 2.0), ("Hue", 0.0)), x, seed: 9);
        var xs = Doubles(x);
        double Luma(int i, int p) => 0.299 * xs[i * 192 + p] + 0.587 * xs[i * 192 + 64 + p] + 0.114 * xs[i * 192 + 128 + p];
        // Strength 2: factors in [max(0, -1), 3] = [0, 3]; factor 0 is the grayscale image.
        ShouldCover(BlendFactors(x, y, (i, j) => Luma(i, j % 64)), 0, 3);
    }

    /// <summary>
    /// Scalar torchvision ColorJitter on one RGB sample [3, P] in float64: the four operations in the
    /// given order, each clamped to [0, 1], hue through colorsys-style HSV.
    /// </summary>
    private static double[] ReferenceJitter(double[] x, int pixels, int[] order, double b, double c, double s, double h)
    {
        var y = (double[])x.Clone();
        double Luma(int p) => 0.299 * y[p] + 0.587 * y[pixels + p] + 0.114 * y[2 * pixels + p];
        foreach (var op in order)
        {
            switch (op)
            {
                case 0:
                    for (var j = 0; j < y.Length; j++) y[j] = Math.Clamp(b * y[j], 0, 1);
                    break;
                case 1:
                    var mean = Enumerable.Range(0, pixels).Average(Luma);
                    for (var j = 0; j < y.Length; j++) y[j] = Math.Clamp(c * y[j] + (1 - c) * mean, 0, 1);
                    break;
                case 2:
                    var luma = Enumerable.Range(0, pixels).Select(Luma).ToArray();
                    for (var j = 0; j < y.Length; j++) y[j] = Math.Clamp(s * y[j] + (1 - s) * luma[j % pixels], 0, 1);
                    break;
                default:
                    for (var p = 0; p < pixels; p++)
                    {
                        var hsv = RgbToHsv(y[p], y[pixels + p], y[2 * pixels + p]);
                        (y[p], y[pixels + p], y[2 * pixels + p]) = HsvToRgb(((hsv.H + h) % 1 + 1) % 1, hsv.S, hsv.V);
                    }
                    break;
            }
        }
        return y;
    }

    [Fact]
    public void Jitter_matches_a_scalar_torchvision_reference_with_each_samples_own_order()
    {
        using var scope = torch.NewDisposeScope();
        // Strong settings so that clamping makes the order matter (without clamps the three blends commute).
        const int n = 300, pixels = 9;
        var (sb, sc, ss, sh) = (0.9, 0.9, 0.9, 0.4);
        var x = Uniform([n, 3, 3, 3], 22, ScalarType.Float64);
        var y = Apply(Create("color-jitter", ("Brightness", sb), ("Contrast", sc), ("Saturation", ss), ("Hue", sh), ("P", 0.7)), x, seed: 21);
        // The documented stream layout: per sample 9 uniforms (apply, brightness, contrast,
        // saturation, hue, then 4 keys whose ascending order is the order of the operations).
        using var g = new Generator(21);
        var u = Doubles(torch.rand([n, 9], ScalarType.Float64, generator: g));
        var (xs, ys) = (Doubles(x), Doubles(y));
        var orders = new HashSet<string>();
        var jittered = 0;
        double Factor(double strength, double v) => Math.Max(0, 1 - strength) + (1 + strength - Math.Max(0, 1 - strength)) * v;
        for (var i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * 9, 9).ToArray();
            var sample = xs.AsSpan(i * 27, 27).ToArray();
            var expected = sample;
            if (d[0] < 0.7)
            {
                jittered++;
                var order = Enumerable.Range(0, 4).OrderBy(k => d[5 + k]).ToArray();
                orders.Add(string.Concat(order));
                expected = ReferenceJitter(sample, pixels, order, Factor(sb, d[1]), Factor(sc, d[2]), Factor(ss, d[3]), sh * (2 * d[4] - 1));
            }
            for (var j = 0; j < 27; j++) ys[i * 27 + j].Should().BeApproximately(expected[j], 1e-9, $"sample {i}, element {j}");
        }
        jittered.Should().BeInRange(170, 250);
        orders.Count.Should().Be(24, "every one of the 4! orders occurs among 200-odd samples");
        // The order matters for these inputs: applying one fixed order instead would miss.
        var fixedOrder = Enumerable.Range(0, n).Count(i =>
        {
            var d = u.AsSpan(i * 9, 9).ToArray();
            if (d[0] >= 0.7) return false;
            var a = ReferenceJitter(xs.AsSpan(i * 27, 27).ToArray(), pixels, [0, 1, 2, 3], Factor(sb, d[1]), Factor(sc, d[2]), Factor(ss, d[3]), sh * (2 * d[4] - 1));
            return Enumerable.Range(0, 27).Any(j => Math.Abs(a[j] - ys[i * 27 + j]) > 1e-6);
        });
        fixedOrder.Should().BeGreaterThan(100, "most samples did not use the order b, c, s, h");
    }

    /// <summary>Python's colorsys.rgb_to_hsv, the reference for hue checks.</summary>
    private static (double H, double S, double V) RgbToHsv(double r, double g, double b)
    {
        var max = Math.Max(r, Math.Max(g, b));
        var min = Math.Min(r, Math.Min(g, b));
        if (max == min) return (0, 0, max);
        var c = max - min;
        var (rc, gc, bc) = ((max - r) / c, (max - g) / c, (max - b) / c);
        var h = r == max ? bc - gc : g == max ? 2 + rc - bc : 4 + gc - rc;
        return ((h / 6 % 1 + 1) % 1, c / max, max);
    }

    /// <summary>Python's colorsys.hsv_to_rgb.</summary>
    private static (double R, double G, double B) HsvToRgb(double h, double s, double v)
    {
        var i = (int)Math.Floor(h * 6);
        var f = h * 6 - i;
        var (p, q, t) = (v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f)));
        return (((i % 6) + 6) % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    [Fact]
    public void Hue_turns_pure_red_along_the_colour_circle_and_every_pixel_by_the_same_shift()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 256, pixels = 16;
        const double strength = 1.0 / 6;
        // Pixel 0 of each sample is pure red; the others are random colours (float64 to compare tightly).
        var x = Uniform([n, 3, 1, pixels], 13, ScalarType.Float64);
        x.narrow(3, 0, 1).copy_(torch.tensor<double>([1, 0, 0], [1, 3, 1, 1], ScalarType.Float64).expand(n, 3, 1, 1));
        var y = Apply(Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.0), ("Saturation", 0.0), ("Hue", strength)), x, seed: 11);
        var (xs, ys) = (Doubles(x), Doubles(y));
        double At(double[] a, int i, int channel, int p) => a[(i * 3 + channel) * pixels + p];
        var shifts = new double[n];
        for (var i = 0; i < n; i++)
        {
            var (r, g, b) = (At(ys, i, 0, 0), At(ys, i, 1, 0), At(ys, i, 2, 0));
            // Red (H = 0, S = V = 1) turned by s in [-1/6, 1/6] is (1, 6s, 0) for s >= 0, (1, 0, -6s) below.
            r.Should().BeApproximately(1, 1e-9);
            Math.Min(g, b).Should().BeApproximately(0, 1e-9, "one channel stays off within a sixth of the circle");
            shifts[i] = (g - b) / 6;
            var (h, s, v) = RgbToHsv(r, g, b);
            (s, v).Should().Be((1.0, 1.0), "a hue turn keeps saturation and value");
            ((h - shifts[i] + 1.5) % 1 - 0.5).Should().BeApproximately(0, 1e-9, "the red pixel's new hue is the shift");
            for (var p = 1; p < pixels; p++)
            {
                var hsv = RgbToHsv(At(xs, i, 0, p), At(xs, i, 1, p), At(xs, i, 2, p));
                var expected = HsvToRgb(((hsv.H + shifts[i]) % 1 + 1) % 1, hsv.S, hsv.V);
                At(ys, i, 0, p).Should().BeApproximately(expected.R, 1e-9);
                At(ys, i, 1, p).Should().BeApproximately(expected.G, 1e-9);
                At(ys, i, 2, p).Should().BeApproximately(expected.B, 1e-9);
            }
        }
        ShouldCover(shifts, -strength, strength);
    }

    [Fact]
    public void Hue_of_gray_pixels_stays_gray()
    {
        using var scope = torch.NewDisposeScope();
        var gray = Uniform([64, 1, 4, 4], 14).expand(64, 3, 4, 4).contiguous();
        var y = Apply(Always("color-jitter", ("Brightness", 0.0), ("Contrast", 0.0), ("Saturation", 0.0), ("Hue", 0.5)), gray, seed: 12);
        y.allclose(gray, rtol: 0, atol: 1e-6).Should().BeTrue("gray has no hue to turn");
    }
}
