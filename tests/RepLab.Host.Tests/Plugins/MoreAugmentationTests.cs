using System.ComponentModel.DataAnnotations;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.AugmentationKit;

namespace RepLab.Host.Tests.Plugins;

/// <summary>
/// Invariants and statistics of the colour, blur, solarize, rotation, erasing and normalize
/// augmentations, created through the registry like any plugin. Expected values come from scalar
/// reference formulas written here (HSV, Gaussian, BT.601 luma), not from the plugins' own code.
/// </summary>
public class MoreAugmentationTests
{
    /// <summary>Every random augmentation, the crop included (whose p = 0 still resamples, so it is not in <see cref="Random"/>).</summary>
    public static TheoryData<string> Seeded => new(((IEnumerable<object[]>)Random).Select(r => (string)r[0]).Prepend("random-resized-crop"));

    /// <summary>Every augmentation here that draws per-sample parameters (normalize draws none).</summary>
    public static TheoryData<string> Random => new(["random-flip", "color-jitter", "random-grayscale", "gaussian-blur", "solarize", "rotate90", "random-erasing"]);

    /// <summary>rotate90's labels, through the SDK interface a method plugin in another assembly would use.</summary>
    private static (Tensor Rotated, Tensor Labels) ApplyWithLabels(IAugmentation rotate, Tensor x, ulong seed)
    {
        using var g = new Generator(seed);
        return rotate.Should().BeAssignableTo<ILabellingAugmentation>().Which.ApplyWithLabels(x, g);
    }

    /// <summary>Largest absolute difference per sample, [N].</summary>
    private static double[] MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().flatten(1).amax(1).to(ScalarType.Float64);
        return d.data<double>();
    }

    private static double[] Doubles(Tensor t)
    {
        using var d = t.to(ScalarType.Float64).contiguous();
        return d.data<double>();
    }

    /// <summary>Names with the settings that make every sample take the augmentation (p = 1).</summary>
    private static IAugmentation Always(string name, params (string key, object value)[] settings) =>
        Create(name, [("P", 1.0), .. settings]);

    // ---- shared invariants ----

    [Theory]
    [MemberData(nameof(Random))]
    public void Outputs_stay_in_the_unit_interval_and_are_new_tensors(string name)
    {
        using var scope = torch.NewDisposeScope();
        // 20 pixels: the smallest side where blur's default kernel (a tenth of the side, made odd) has 3 taps.
        // Black and white pixels next to uniform ones: where blends and blurs would overshoot if anywhere.
        var binary = (Uniform([64, 3, 20, 20], 1) > 0.5).to(ScalarType.Float32);
        var x = torch.cat([binary, Uniform([64, 3, 20, 20], 2)], 0);
        var y = Apply(Always(name), x, seed: 1);
        y.shape.Should().Equal(x.shape);
        y.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        y.max().item<float>().Should().BeLessThanOrEqualTo(1);
        y.is_alias_of(x).Should().BeFalse("augmentations return a new tensor");
        y.equal(x).Should().BeFalse($"{name} at p = 1 changes the batch");
    }

    [Theory]
    [MemberData(nameof(Random))]
    public void Probability_0_is_the_identity(string name)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var channels in new[] { 1, 3 })
        {
            var x = Uniform([32, channels, 16, 16], 3);
            Apply(Create(name, ("P", 0.0)), x, seed: 2).equal(x).Should().BeTrue($"{name} with p = 0 leaves {channels}-channel samples alone");
        }
    }

    [Theory]
    [MemberData(nameof(Seeded))]
    public void The_same_seed_gives_the_same_views_and_another_seed_others(string name)
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([32, 3, 20, 20], 4);
        var augmentation = Create(name);
        var a = Apply(augmentation, x, seed: 42);
        Apply(augmentation, x, seed: 42).equal(a).Should().BeTrue();
        Apply(augmentation, x, seed: 43).equal(a).Should().BeFalse();
        // One generator is a stream: consecutive batches get fresh parameters.
        using var g = new Generator(42);
        using var first = augmentation.Apply(x, g);
        using var second = augmentation.Apply(x, g);
        second.equal(first).Should().BeFalse();
    }

    [Theory]
    [InlineData("color-jitter")]
    [InlineData("gaussian-blur")]
    [InlineData("random-erasing")]
    public void Every_sample_of_a_batch_draws_its_own_parameters(string name)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 64;
        var x = Uniform([1, 3, 32, 32], 5).expand(n, 3, 32, 32).contiguous();
        var y = Apply(Always(name), x, seed: 3);
        var first = y.slice(0, 0, 1).expand(n, 3, 32, 32);
        MaxAbsDiff(y, first).Skip(1).Should().OnlyContain(d => d > 0, "identical inputs get different parameters");
    }

    [Theory]
    [InlineData("color-jitter", 0.8)]
    [InlineData("random-grayscale", 0.2)]
    [InlineData("gaussian-blur", 0.5)]
    [InlineData("solarize", 0.2)]
    [InlineData("random-erasing", 0.5)]
    public void Samples_are_changed_at_the_default_rate_p(string name, double p)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, 3, 20, 20], 6);
        var changed = MaxAbsDiff(Apply(Create(name), x, seed: 4), x).Count(d => d > 0);
        // Binomial(2000, p): standard deviation at most 22.4, so 4.5 of them either side.
        changed.Should().BeInRange((int)(n * p - 100), (int)(n * p + 100), $"{name} changes each sample with probability {p}");
    }

    // ---- color-jitter ----

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

    private static void ShouldCover(double[] factors, double lo, double hi)
    {
        factors.Should().OnlyContain(f => f >= lo - 1e-4 && f <= hi + 1e-4);
        // Uniform draws: with 200 or more of them the extremes lie within 5% of the range's ends.
        factors.Min().Should().BeLessThan(lo + 0.05 * (hi - lo));
        factors.Max().Should().BeGreaterThan(hi - 0.05 * (hi - lo));
        // Standard error of the mean of 200+ uniform draws is under 2% of the range.
        factors.Average().Should().BeApproximately((lo + hi) / 2, 0.08 * (hi - lo));
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

    // ---- random-grayscale ----

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

    // ---- gaussian-blur ----

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

    // ---- solarize ----

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

    // ---- rotate90 ----

    /// <summary>One clockwise quarter turn on (H, W): out[i, j] = in[n - 1 - j, i].</summary>
    private static Tensor Clockwise(Tensor x) => x.flip(2).transpose(2, 3);

    [Fact]
    public void Rotating_back_by_the_label_recovers_the_input_and_labels_are_uniform()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, 2, 6, 6], 19);
        var (rotated, labels) = ApplyWithLabels(Create("rotate90"), x, seed: 18);
        labels.dtype.Should().Be(ScalarType.Int64);
        labels.shape.Should().Equal(n);
        var k = labels.data<long>();
        for (var i = 0; i < n; i++)
        {
            var back = rotated.slice(0, i, i + 1);
            for (var t = 0; t < k[i]; t++) back = Clockwise(back);
            back.equal(x.slice(0, i, i + 1)).Should().BeTrue($"sample {i} was turned {k[i]} times");
        }
        // Multinomial(2000, 1/4 each): standard deviation 19.4.
        for (var label = 0L; label < 4; label++) k.Count(v => v == label).Should().BeInRange(420, 580);
        // Apply draws the same rotations as ApplyWithLabels.
        Apply(Create("rotate90"), x, seed: 18).equal(rotated).Should().BeTrue();
    }

    [Fact]
    public void A_label_of_1_is_a_counter_clockwise_quarter_turn()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 16, side = 5;
        var x = Uniform([n, 1, side, side], 20);
        var (rotated, labels) = ApplyWithLabels(Create("rotate90"), x, seed: 19);
        var k = labels.data<long>();
        var i = Array.IndexOf(k, 1L);
        i.Should().BeGreaterThanOrEqualTo(0, "16 draws include a 1");
        var (xs, ys) = (Doubles(x), Doubles(rotated));
        // numpy / torch.rot90: out[r, c] = in[c, side - 1 - r].
        for (var r = 0; r < side; r++)
        for (var c = 0; c < side; c++)
            ys[(i * side + r) * side + c].Should().Be(xs[(i * side + c) * side + side - 1 - r]);
    }

    [Fact]
    public void Rotate90_rejects_non_square_images()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => Apply(Create("rotate90"), torch.rand([2, 1, 4, 6]), seed: 0);
        act.Should().Throw<ArgumentException>().WithMessage("*square*");
    }

    // ---- random-erasing ----

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

    // ---- normalize ----

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

    // ---- options ----

    [Theory]
    [InlineData("normalize", "Std", new[] { 0.0 }, "*std*")]
    [InlineData("normalize", "Std", new[] { 0.2, 0.3 }, "*mean has 3 entries*", "Mean", new[] { 0.1, 0.2, 0.3 })]
    [InlineData("gaussian-blur", "Sigma", new[] { 2.0, 1.0 }, "*sigma*")]
    [InlineData("gaussian-blur", "Sigma", new[] { 0.0, 1.0 }, "*sigma*")]
    [InlineData("random-erasing", "Scale", new[] { 0.5, 1.5 }, "*scale*")]
    [InlineData("random-erasing", "Ratio", new[] { 2.0, 1.0 }, "*ratio*")]
    public void Options_reject_inconsistent_ranges(string name, string key, double[] value, string message, string? otherKey = null, double[]? other = null)
    {
        var settings = new List<(string, object)> { (key, value) };
        if (otherKey is not null) settings.Add((otherKey, other!));
        var options = Options(name, [.. settings]);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true).Should().BeFalse();
        results.Select(r => r.ErrorMessage).Should().ContainMatch(message);
    }

    [Theory]
    [InlineData("color-jitter", "Hue", 0.6)]
    [InlineData("color-jitter", "Brightness", -0.1)]
    [InlineData("solarize", "Threshold", 1.5)]
    [InlineData("random-erasing", "Value", 2.0)]
    [InlineData("gaussian-blur", "KernelFraction", 0.0)]
    public void Options_reject_out_of_range_values(string name, string key, double value)
    {
        var options = Options(name, (key, value));
        Validator.TryValidateObject(options, new ValidationContext(options), new List<ValidationResult>(), validateAllProperties: true).Should().BeFalse();
    }
}
