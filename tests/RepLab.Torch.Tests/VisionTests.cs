using FluentAssertions;
using Xunit;
using ColorOp = RepLab.Torch.vision.ColorOp;

namespace RepLab.Torch.Tests;

/// <summary>
/// The <see cref="vision"/> kernels: each fused CPU kernel against the composition of ordinary ops
/// that CUDA and half precision use, on inputs chosen for the edge cases (for colour jitter gray
/// pixels, ties between the largest channels, black and white, hue shifts that wrap either way; for
/// crops boxes at and beyond the borders; for blurs radii up to the image's side), and against
/// results known exactly. The plugin tests compare the augmentations with scalar references.
/// </summary>
public class VisionTests
{
    /// <summary>
    /// [N, C, 4, 4] images in [0, 1]: random colours, with pixel 0 gray, pixel 1 a tie of R and G
    /// above B, pixel 2 a tie of G and B above R, pixel 3 black and pixel 4 white.
    /// </summary>
    private static Tensor Images(int n, int channels, ScalarType dtype, ulong seed)
    {
        using var g = new Generator(seed);
        var x = torch.rand([n, channels, 4, 4], ScalarType.Float64, generator: g);
        var v = x.data<double>();
        for (var i = 0; i < n && channels == 3; i++)
        {
            double Get(int c, int p) => v[(i * 3 + c) * 16 + p];
            void Set(int p, double r, double gr, double b) => (v[i * 48 + p], v[i * 48 + 16 + p], v[i * 48 + 32 + p]) = (r, gr, b);
            Set(0, Get(0, 0), Get(0, 0), Get(0, 0));
            Set(1, 0.7, 0.7, Get(2, 1) * 0.6);
            Set(2, Get(0, 2) * 0.5, 0.8, 0.8);
            Set(3, 0, 0, 0);
            Set(4, 1, 1, 1);
        }
        x.Dispose();
        using var d = torch.tensor(v, [n, channels, 4, 4]);
        return d.to(dtype);
    }

    /// <summary>Random stages: every sample a random order of the four operations, some skipped, factors beyond 1 and 0 included.</summary>
    private static (ColorOp[] Ops, double[] Values) Stages(int n, int seed)
    {
        var random = new Random(seed);
        var ops = new ColorOp[4 * n];
        var values = new double[4 * n];
        for (var i = 0; i < n; i++)
        {
            var order = new[] { 0, 1, 2, 3 }.OrderBy(_ => random.Next()).ToArray();
            for (var k = 0; k < 4; k++)
            {
                var op = (ColorOp)order[k];
                ops[4 * i + k] = random.NextDouble() < 0.15 ? ColorOp.None : op;
                values[4 * i + k] = op == ColorOp.Hue ? random.NextDouble() - 0.5 : 3 * random.NextDouble();
            }
        }
        return (ops, values);
    }

    private static double[] Doubles(Tensor t)
    {
        using var d = t.to(ScalarType.Float64);
        return d.data<double>();
    }

    /// <summary>The two results have the same length and agree element by element within <paramref name="tolerance"/>.</summary>
    private static void ShouldAgree(double[] actual, double[] expected, double tolerance)
    {
        actual.Length.Should().Be(expected.Length);
        for (var j = 0; j < actual.Length; j++) actual[j].Should().BeApproximately(expected[j], tolerance, $"element {j}");
    }

    [Theory]
    [InlineData(ScalarType.Float32, 3, 1e-5)]
    [InlineData(ScalarType.Float64, 3, 1e-12)]
    [InlineData(ScalarType.Float32, 1, 1e-5)]
    [InlineData(ScalarType.Float64, 1, 1e-12)]
    public void Fused_kernel_and_composition_agree(ScalarType dtype, int channels, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 200;
        var x = Images(n, channels, dtype, 3);
        var (ops, values) = Stages(n, 4);
        var fused = Doubles(vision.ColorJitterFused_(x.clone(), ops, values));
        var composed = Doubles(vision.ColorJitterComposed_(x.clone(), ops, values));
        ShouldAgree(fused, composed, tolerance);
        fused.Should().OnlyContain(v => v >= 0 && v <= 1);
        var source = Doubles(x);
        fused.Where((v, j) => Math.Abs(v - source[j]) > 1e-3).Count().Should().BeGreaterThan(fused.Length / 2, "the stages change most pixels");
    }

    [Fact]
    public void Non_contiguous_batches_take_the_composition_and_agree_with_the_kernel()
    {
        using var scope = torch.NewDisposeScope();
        var x = Images(64, 3, ScalarType.Float32, 5);
        var (ops, values) = Stages(64, 6);
        // Channels-last memory, NCHW shape: not contiguous, so the kernel cannot take it.
        var strided = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        strided.is_contiguous().Should().BeFalse();
        var viaComposition = Doubles(vision.color_jitter_(strided, ops, values));
        var viaKernel = Doubles(vision.color_jitter_(x.clone(), ops, values));
        ShouldAgree(viaComposition, viaKernel, 1e-5);
    }

    [Theory]
    [InlineData(1.0 / 3, 0, 1, 0)]
    [InlineData(2.0 / 3, 0, 0, 1)]
    [InlineData(-1.0 / 3, 0, 0, 1)]
    [InlineData(0.5, 0, 1, 1)]
    [InlineData(-0.5, 0, 1, 1)]
    [InlineData(1.0 / 6, 1, 1, 0)]
    public void Hue_turns_pure_red_to_the_expected_colour(double shift, double r, double g, double b)
    {
        using var scope = torch.NewDisposeScope();
        var red = torch.tensor<double>([1, 0, 0], [1, 3, 1, 1]);
        var turned = vision.color_jitter_(red, [ColorOp.Hue, ColorOp.None, ColorOp.None, ColorOp.None], [shift, 0, 0, 0]).data<double>();
        turned.Should().Equal([r, g, b], (a, e) => Math.Abs(a - e) < 1e-12);
    }

    [Fact]
    public void Identity_stages_leave_every_bit_alone()
    {
        using var scope = torch.NewDisposeScope();
        var x = Images(32, 3, ScalarType.Float32, 7);
        var ops = Enumerable.Range(0, 4 * 32).Select(i => (i % 5) switch
        {
            0 => ColorOp.Brightness,
            1 => ColorOp.Contrast,
            2 => ColorOp.Saturation,
            3 => ColorOp.None,
            _ => ColorOp.Hue,
        }).ToArray();
        // Factor 1 blends nothing in, a hue shift of 0 turns nothing.
        var values = ops.Select(op => op == ColorOp.Hue ? 0.0 : 1.0).ToArray();
        var expected = x.data<float>();
        vision.ColorJitterFused_(x.clone(), ops, values).data<float>().Should().Equal(expected);
        vision.ColorJitterComposed_(x.clone(), ops, values).data<float>().Should().Equal(expected);
    }

    [Fact]
    public void Samples_a_stage_does_not_change_keep_values_outside_the_unit_interval_on_both_paths()
    {
        using var scope = torch.NewDisposeScope();
        // Standardised input (a normalize step before the jitter): -0.5 and 1.5 are legitimate values.
        var x = torch.tensor<double>([-0.5, 1.5, -0.5, 1.5, -0.5, 1.5], [3, 1, 1, 2]);
        ColorOp[] ops = [ColorOp.Brightness, ColorOp.None, ColorOp.None, ColorOp.None,
                         ColorOp.None, ColorOp.None, ColorOp.None, ColorOp.None,
                         ColorOp.Brightness, ColorOp.Contrast, ColorOp.None, ColorOp.None];
        double[] values = [0.8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0];
        double[] expected = [0, 1, -0.5, 1.5, -0.5, 1.5];
        vision.ColorJitterFused_(x.clone(), ops, values).data<double>().Should().Equal(expected, "sample 0 is scaled and clamped, 1 and 2 untouched");
        vision.ColorJitterComposed_(x.clone(), ops, values).data<double>().Should().Equal(expected);
    }

    [Fact]
    public void Contrast_blends_with_the_mean_luma_and_saturation_with_each_pixels_luma()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor<double>([0.2, 0.9, 0.4, 0.6, 0.1, 0.8], [1, 3, 1, 2]);
        double Luma(int p) => 0.299 * new[] { 0.2, 0.9 }[p] + 0.587 * new[] { 0.4, 0.6 }[p] + 0.114 * new[] { 0.1, 0.8 }[p];
        var mean = (Luma(0) + Luma(1)) / 2;
        var contrast = vision.color_jitter_(x.clone(), [ColorOp.Contrast, ColorOp.None, ColorOp.None, ColorOp.None], [0.5, 0, 0, 0]).data<double>();
        contrast.Should().Equal(new[] { 0.2, 0.9, 0.4, 0.6, 0.1, 0.8 }.Select(v => 0.5 * v + 0.5 * mean), (a, e) => Math.Abs(a - e) < 1e-12);
        var saturation = vision.color_jitter_(x.clone(), [ColorOp.Saturation, ColorOp.None, ColorOp.None, ColorOp.None], [0, 0, 0, 0]).data<double>();
        saturation.Should().Equal([Luma(0), Luma(1), Luma(0), Luma(1), Luma(0), Luma(1)], (a, e) => Math.Abs(a - e) < 1e-12);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_what_was_expected()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand([2, 3, 4, 4]);
        var act = () => vision.color_jitter_(x, new ColorOp[7], new double[8]);
        act.Should().Throw<ArgumentException>().WithMessage("*7 ops and 8 values for 2 samples: expected 8 each*");
        var twoChannels = () => vision.color_jitter_(torch.rand([2, 2, 4, 4]), new ColorOp[8], new double[8]);
        twoChannels.Should().Throw<ArgumentException>().WithMessage("*1 or 3*");
        var strided = x.transpose(2, 3);
        var kernel = () => vision.ColorJitterFused_(strided, new ColorOp[8], new double[8]);
        kernel.Should().Throw<TorchException>().WithMessage("*contiguous*");
    }

    // ---- resized_crop ----

    private static double[] RandomBoxes(int n, int h, int w, int seed)
    {
        var random = new Random(seed);
        var boxes = new double[4 * n];
        for (var i = 0; i < n; i++)
        {
            var bw = w * (0.1 + 0.9 * random.NextDouble());
            var bh = h * (0.1 + 0.9 * random.NextDouble());
            // Some boxes hang over the border (sampled with border padding), most lie inside.
            var over = random.NextDouble() < 0.2 ? 2.0 : 0.0;
            boxes[4 * i] = (w - bw) * random.NextDouble() - over;
            boxes[4 * i + 1] = (h - bh) * random.NextDouble() + over;
            (boxes[4 * i + 2], boxes[4 * i + 3]) = (bw, bh);
        }
        return boxes;
    }

    /// <summary>The crop both ways: the taps applied by the fused kernel and by the batched products.</summary>
    private static (double[] Fused, double[] Composed) BothWays(Tensor x, double[] boxes, long outH, long outW, bool antialias)
    {
        var rows = vision.Taps(boxes, 1, x.size(2), outH, antialias);
        var columns = vision.Taps(boxes, 0, x.size(3), outW, antialias);
        return (Doubles(vision.ResampleFused(x, rows, columns)), Doubles(vision.ResampleComposed(x, rows, columns)));
    }

    [Theory]
    [InlineData(ScalarType.Float32, 12, 12, 1e-4)]
    [InlineData(ScalarType.Float32, 20, 7, 1e-4)]
    [InlineData(ScalarType.Float64, 9, 16, 1e-9)]
    public void Resized_crop_is_grid_sample_over_the_boxs_affine_grid_on_both_paths(ScalarType dtype, long outH, long outW, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        var x = Images(40, 3, dtype, 11);
        var boxes = RandomBoxes(40, 4, 4, 12);
        // The reference, computed independently of the taps: output x in [-1, 1] (pixel edges,
        // align_corners false) maps onto the box's edges, bilinear with border padding.
        var theta = new double[40 * 6];
        for (var i = 0; i < 40; i++)
        {
            var (x0, y0, bw, bh) = (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
            (theta[6 * i], theta[6 * i + 2], theta[6 * i + 4], theta[6 * i + 5]) = (bw / 4, (2 * x0 + bw) / 4 - 1, bh / 4, (2 * y0 + bh) / 4 - 1);
        }
        var grid = F.affine_grid(torch.tensor<double>(theta, [40, 2, 3], dtype), [40, 3, outH, outW], align_corners: false);
        var reference = Doubles(F.grid_sample(x, grid, "bilinear", "border", align_corners: false).clamp(0, 1));
        var (fused, composed) = BothWays(x, boxes, outH, outW, antialias: false);
        fused.Length.Should().Be(40 * 3 * (int)(outH * outW));
        ShouldAgree(fused, reference, tolerance);
        ShouldAgree(composed, reference, tolerance);
    }

    [Fact]
    public void Resized_crop_of_the_whole_image_at_its_size_is_exact_and_halving_averages_pixel_pairs()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand([3, 2, 6, 8], ScalarType.Float64);
        double[] whole = [0, 0, 8, 6, 0, 0, 8, 6, 0, 0, 8, 6];
        vision.resized_crop(x, whole, 6, 8).data<double>().Should().Equal(x.data<double>());
        var half = vision.resized_crop(x, whole, 3, 4).data<double>();
        var v = x.data<double>();
        for (var p = 0; p < 6; p++)
            for (var i = 0; i < 3; i++)
                for (var j = 0; j < 4; j++)
                {
                    double At(int r, int c) => v[p * 48 + r * 8 + c];
                    var mean = (At(2 * i, 2 * j) + At(2 * i, 2 * j + 1) + At(2 * i + 1, 2 * j) + At(2 * i + 1, 2 * j + 1)) / 4;
                    half[p * 12 + i * 4 + j].Should().BeApproximately(mean, 1e-12);
                }
        // A box's right half, at its own resolution: exactly those pixels.
        var right = vision.resized_crop(x, [4, 0, 4, 6, 4, 0, 4, 6, 4, 0, 4, 6], 6, 4).data<double>();
        right.Should().Equal(Enumerable.Range(0, 6 * 6 * 4).Select(k => v[k / 24 * 48 + k % 24 / 4 * 8 + 4 + k % 4]));
    }

    [Theory]
    [InlineData(ScalarType.Float32, 5, 3, 1e-5)]
    [InlineData(ScalarType.Float64, 4, 7, 1e-12)]
    [InlineData(ScalarType.Float64, 2, 2, 1e-12)]
    public void Antialiased_taps_give_the_same_crop_through_the_kernel_and_the_batched_products(ScalarType dtype, long outH, long outW, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        // 16x16 images and boxes of 1.6 to 16 pixels: most shrink (some only along one axis), some grow, some hang over the border.
        using var g = new Generator(31);
        var x = torch.rand([40, 3, 16, 16], dtype, generator: g);
        var boxes = RandomBoxes(40, 16, 16, 32);
        var (fused, composed) = BothWays(x, boxes, outH, outW, antialias: true);
        ShouldAgree(fused, composed, tolerance);
    }

    [Fact]
    public void Antialiased_crop_of_the_whole_image_is_pytorchs_antialiased_interpolate_and_growing_crops_do_not_change()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(33);
        var x = torch.rand([2, 3, 12, 9], ScalarType.Float64, generator: g);
        double[] whole = [0, 0, 9, 12, 0, 0, 9, 12];
        // F.interpolate's antialias is checked against PyTorch goldens; a whole-image crop must equal it.
        var reference = F.interpolate(x, size: [5, 4], mode: "bilinear", antialias: true);
        ShouldAgree(Doubles(vision.resized_crop(x, whole, 5, 4, antialias: true)), Doubles(reference.clamp(0, 1)), 1e-12);
        var plain = Doubles(vision.resized_crop(x, whole, 5, 4));
        plain.Zip(Doubles(reference)).Max(p => Math.Abs(p.First - p.Second)).Should().BeGreaterThan(0.01, "without antialias a shrink samples two pixels per axis");
        // A box smaller than the output: antialias changes nothing.
        double[] small = [1.5, 2, 4, 5, 0, 0, 3, 3];
        vision.resized_crop(x, small, 8, 8, antialias: true).data<double>().Should().Equal(vision.resized_crop(x, small, 8, 8).data<double>());
    }

    [Fact]
    public void Resized_crop_refuses_boxes_that_are_not_finite_empty_images_and_taps_outside_the_image()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand([1, 1, 4, 4]);
        var nan = () => vision.resized_crop(x, [0, double.NaN, 2, 2], 4, 4);
        nan.Should().Throw<ArgumentException>().WithMessage("*finite*");
        // The kernel checks its taps: one outside the image is an error, not a stray read.
        var outside = new vision.AxisTaps([0, 9, 0, 1, 0, 1, 0, 1], new double[8], 2, 4, 4);
        var rows = vision.Taps([0, 0, 4, 4], 1, 4, 4, false);
        var kernel = () => vision.ResampleFused(x, rows, outside);
        kernel.Should().Throw<TorchException>().WithMessage("*column tap 9 outside 0..3*");
        var empty = () => vision.resized_crop(torch.rand([1, 1, 0, 4]), [0, 0, 1, 1], 4, 4);
        empty.Should().Throw<ArgumentException>().WithMessage("*cannot resize*");
    }

    // ---- gaussian_blur ----

    private static double[] GaussianKernels(int n, int radius, int seed)
    {
        var random = new Random(seed);
        var kernels = new double[n * (2 * radius + 1)];
        for (var i = 0; i < n; i++)
        {
            var sigma = 0.1 + 2 * random.NextDouble();
            var k = Enumerable.Range(-radius, 2 * radius + 1).Select(t => Math.Exp(-t * t / (2 * sigma * sigma))).ToArray();
            var sum = k.Sum();
            for (var t = 0; t < k.Length; t++) kernels[i * k.Length + t] = k[t] / sum;
        }
        return kernels;
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1, 1e-5)]
    [InlineData(ScalarType.Float32, 3, 1e-5)]
    [InlineData(ScalarType.Float64, 2, 1e-12)]
    [InlineData(ScalarType.Float64, 3, 1e-12)]
    public void Gaussian_blur_kernel_and_grouped_convolutions_agree(ScalarType dtype, int radius, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        // 4x4 images: radius 3 reflects across the whole image, the widest the padding allows.
        var x = Images(30, 3, dtype, 13);
        var kernels = GaussianKernels(30, radius, 14);
        var apply = Enumerable.Range(0, 30).Select(i => i % 3 != 0).ToArray();
        var fused = vision.GaussianBlurFused(x, kernels, radius, apply);
        var composed = Doubles(vision.GaussianBlurComposed(x, kernels, radius, apply));
        var f = Doubles(fused);
        ShouldAgree(f, composed, tolerance);
        for (var i = 0; i < 30; i += 3)
            Doubles(fused.slice(0, i, i + 1)).Should().Equal(Doubles(x.slice(0, i, i + 1)), "samples without the blur are copied");
        var source = Doubles(x);
        f.Zip(source).Count(p => Math.Abs(p.First - p.Second) > 1e-3).Should().BeGreaterThan(f.Length / 3, "the blurred samples changed");
    }

    [Fact]
    public void Gaussian_blur_reflects_at_the_border_without_repeating_the_edge()
    {
        using var scope = torch.NewDisposeScope();
        // One row 0, 1, 0, 0, 0 (one channel, 1x5 would be too small vertically: use 3 equal rows).
        var x = torch.tensor<double>([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0], [1, 1, 3, 5]);
        double[] k = [0.25, 0.5, 0.25];
        var y = vision.gaussian_blur(x, k, 1, [true]).data<double>();
        // Column 0 reflects column 1 into position -1: 0.25 * 1 + 0.5 * 0 + 0.25 * 1 = 0.5.
        y.Take(5).Should().Equal([0.5, 0.5, 0.25, 0, 0], (a, e) => Math.Abs(a - e) < 1e-12);
        var tooWide = () => vision.gaussian_blur(x, new double[7], 3, [true]);
        tooWide.Should().Throw<ArgumentException>().WithMessage("*radius 3 needs images larger than 3 pixels a side*");
    }

    // ---- per-sample maps: flips, grayscale, solarize ----

    public static TheoryData<string, ScalarType> Maps => new()
    {
        { "hflip", ScalarType.Float32 }, { "vflip", ScalarType.Float64 }, { "grayscale", ScalarType.Float32 },
        { "grayscale", ScalarType.Float64 }, { "solarize", ScalarType.Float32 }, { "solarize", ScalarType.Float64 },
    };

    private static vision.MapOp Op(string name) => name switch
    {
        "hflip" => vision.MapOp.FlipLeftRight,
        "vflip" => vision.MapOp.FlipTopBottom,
        "grayscale" => vision.MapOp.Grayscale,
        _ => vision.MapOp.Solarize,
    };

    [Theory]
    [MemberData(nameof(Maps))]
    public void Per_sample_map_kernels_and_compositions_agree_and_leave_other_samples_alone(string name, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        // 5x7: odd and unequal sides, so a flip of the wrong axis or an off-by-one shows.
        using var g = new Generator(21);
        var x = torch.rand([24, 3, 5, 7], dtype, generator: g);
        var apply = Enumerable.Range(0, 24).Select(i => i % 4 != 1).ToArray();
        var fused = vision.SampleMapFused(x, Op(name), 0.6, apply);
        var composed = vision.SampleMapComposed(x, Op(name), 0.6, apply);
        var (f, c, source) = (Doubles(fused), Doubles(composed), Doubles(x));
        ShouldAgree(f, c, dtype == ScalarType.Float32 ? 1e-6 : 1e-14);
        for (var i = 0; i < 24; i++)
        {
            var changed = Enumerable.Range(i * 105, 105).Any(j => f[j] != source[j]);
            changed.Should().Be(apply[i], $"sample {i} {(apply[i] ? "is" : "is not")} mapped");
        }
    }

    [Fact]
    public void Per_sample_maps_do_what_their_names_say()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor<double>([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [1, 1, 2, 3]);
        vision.hflip(x, [true]).data<double>().Should().Equal(0.3, 0.2, 0.1, 0.9, 0.8, 0.7);
        vision.vflip(x, [true]).data<double>().Should().Equal(0.7, 0.8, 0.9, 0.1, 0.2, 0.3);
        vision.solarize(x, 0.75, [true]).data<double>().Should().Equal([0.1, 0.2, 0.3, 0.7, 0.2, 0.1], (a, e) => Math.Abs(a - e) < 1e-15);
        var rgb = torch.tensor<double>([1, 0, 0, 1, 0, 0], [1, 3, 1, 2]);
        // Pixel 0 pure red, pixel 1 pure green: their lumas 0.299 and 0.587 in every channel.
        vision.grayscale(rgb, [true]).data<double>().Should().Equal([0.299, 0.587, 0.299, 0.587, 0.299, 0.587], (a, e) => Math.Abs(a - e) < 1e-15);
        var gray = () => vision.grayscale(torch.rand([1, 1, 2, 2]), [true]);
        gray.Should().Throw<ArgumentException>().WithMessage("*3 channels*");
    }
}
