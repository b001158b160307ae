using System.ComponentModel.DataAnnotations;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.RandomResizedCrop;

public class RandomResizedCropTests
{
    /// <summary>
    /// A batch whose pixels encode their own position: channel 0 = x / W and channel 1 = y / H at the
    /// pixel centre, channel 2 constant. Both ramps are linear, so bilinear sampling returns exactly the
    /// sampled coordinates and an output's extreme values reveal its crop box.
    /// </summary>
    private static Tensor Coordinates(long n, long side)
    {
        using var ramp = (torch.arange(side, ScalarType.Float32) + 0.5) / side;
        using var xs = ramp.view(1, 1, 1, side).expand(n, 1, side, side);
        using var ys = ramp.view(1, 1, side, 1).expand(n, 1, side, side);
        using var constant = torch.full([n, 1, side, side], 0.5);
        return torch.cat([xs, ys, constant], 1).contiguous();
    }

    /// <summary>Crop boxes (x0, y0, width, height as fractions of the input side) recovered from a crop of <see cref="Coordinates"/>.</summary>
    private static (double X0, double Y0, double W, double H)[] Boxes(Tensor output)
    {
        var size = output.size(3);
        using var x = output.select(1, 0);
        using var y = output.select(1, 1);
        var (xmin, xmax) = (PerSample(x, f => f.amin(1)), PerSample(x, f => f.amax(1)));
        var (ymin, ymax) = (PerSample(y, f => f.amin(1)), PerSample(y, f => f.amax(1)));
        // The outermost output pixel centres sit half an output pixel inside the crop's edges.
        return Enumerable.Range(0, xmin.Length).Select(i =>
        {
            var w = (xmax[i] - xmin[i]) * size / (size - 1.0);
            var h = (ymax[i] - ymin[i]) * size / (size - 1.0);
            return (xmin[i] - w / (2 * size), ymin[i] - h / (2 * size), w, h);
        }).ToArray();
    }

    [Theory]
    // Narrow bounds where every candidate fits: the first draw's area and aspect come back exactly.
    [InlineData(0.3, 0.6, 0.75, 4.0 / 3.0)]
    // torchvision's defaults, where about 14% of candidates do not fit and are drawn again.
    [InlineData(0.08, 1.0, 0.75, 4.0 / 3.0)]
    public void Crop_boxes_stay_within_the_scale_and_ratio_bounds_and_inside_the_image(double smin, double smax, double rmin, double rmax)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 400;
        var crop = Create("random-resized-crop", ("Scale", new[] { smin, smax }), ("Ratio", new[] { rmin, rmax }), ("Size", 32));
        var boxes = Boxes(Apply(crop, Coordinates(n, 64), seed: 1));
        var areas = boxes.Select(b => b.W * b.H).ToArray();
        var aspects = boxes.Select(b => b.W / b.H).ToArray();
        // Interpolation and float32 leave well under 1% of error on these boxes.
        areas.Should().OnlyContain(a => a >= smin * 0.99 && a <= smax * 1.01);
        aspects.Should().OnlyContain(r => r >= rmin * 0.99 && r <= rmax * 1.01);
        boxes.Should().OnlyContain(b => b.X0 >= -0.005 && b.Y0 >= -0.005 && b.X0 + b.W <= 1.005 && b.Y0 + b.H <= 1.005);
        // The draws cover their ranges, not just one corner of them.
        areas.Min().Should().BeLessThan(smin + 0.1 * (smax - smin));
        areas.Max().Should().BeGreaterThan(smax - 0.1 * (smax - smin));
        aspects.Min().Should().BeLessThan(rmin * 1.05);
        aspects.Max().Should().BeGreaterThan(rmax / 1.05);
        var centres = boxes.Select(b => b.X0 + b.W / 2).ToArray();
        centres.Min().Should().BeLessThan(0.4, "positions are random, not centred");
        centres.Max().Should().BeGreaterThan(0.6, "positions are random, not centred");
    }

    [Fact]
    public void Crop_area_is_uniform_in_scale_and_log_aspect_uniform_in_log_ratio()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 400;
        // Bounds where every candidate fits (area * ratio and area / ratio stay below 1), so the first is taken;
        // size 16 keeps each crop at least as wide as the output, so boxes are recovered exactly.
        var crop = Create("random-resized-crop", ("Scale", new[] { 0.1, 0.2 }), ("Ratio", new[] { 1 / 3.0, 3.0 }), ("Size", 16));
        var boxes = Boxes(Apply(crop, Coordinates(n, 64), seed: 2));
        // Uniform on [0.1, 0.2]: mean 0.15, standard error 0.029 / sqrt(400) = 0.0014.
        boxes.Average(b => b.W * b.H).Should().BeApproximately(0.15, 0.005);
        // Uniform on [-log 3, log 3]: mean 0, standard error 0.63 / sqrt(400) = 0.032; a ratio uniform in
        // [1/3, 3] instead would give a mean log of 0.37.
        var logs = boxes.Select(b => Math.Log(b.W / b.H)).ToArray();
        logs.Average().Should().BeApproximately(0, 0.1);
        logs.Count(l => l < 0).Should().BeInRange(170, 230, "half the crops are taller than wide");
    }

    [Fact]
    public void Crops_that_do_not_fit_are_drawn_again_so_large_scales_stay_in_range()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 400;
        // An area of at least 0.8 at an aspect beyond 5/4 does not fit a square; such candidates are
        // redrawn (or the whole image is taken), never shrunk to fit, which would leave less than 0.8.
        var crop = Create("random-resized-crop", ("Scale", new[] { 0.8, 1.0 }), ("Ratio", new[] { 0.75, 4.0 / 3.0 }), ("Size", 32));
        var boxes = Boxes(Apply(crop, Coordinates(n, 64), seed: 14));
        boxes.Should().OnlyContain(b => b.W * b.H >= 0.8 * 0.995 && b.W * b.H <= 1.005);
        boxes.Should().OnlyContain(b => b.W / b.H >= 0.75 * 0.995 && b.W / b.H <= 4.0 / 3.0 * 1.005);
        boxes.Should().OnlyContain(b => b.X0 >= -0.005 && b.Y0 >= -0.005 && b.X0 + b.W <= 1.005 && b.Y0 + b.H <= 1.005);
    }

    [Fact]
    public void Crop_areas_follow_torchvisions_redrawing_at_the_default_bounds()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        // On a square image a candidate of area a and log aspect l fits when a <= exp(-|l|), so the first
        // fitting candidate's area has density 1 on [0.08, 0.75] and -ln(a) / ln(4/3) on [0.75, 1],
        // normalised: mean 0.478 (standard deviation 0.234, standard error 0.005 here). Candidates drawn
        // uniformly would average 0.54, and shrinking the ones that do not fit to the image gives 0.533.
        // Size 8 keeps every crop (at least 7.8 pixels of 32) about as wide as the output, so boxes come back exactly.
        var crop = Create("random-resized-crop", ("Size", 8));
        var areas = Boxes(Apply(crop, Coordinates(n, 32), seed: 17)).Select(b => b.W * b.H).ToArray();
        areas.Average().Should().BeApproximately(0.478, 0.02);
        areas.Min().Should().BeGreaterThan(0.08 * 0.99);
    }

    [Fact]
    public void When_no_candidate_fits_the_central_crop_with_the_nearest_allowed_aspect_is_taken()
    {
        using var scope = torch.NewDisposeScope();
        // 32 wide, 8 high: a square of at least 0.9 of the area (15.2 pixels a side) never fits, so every
        // sample falls back to the whole image cut to aspect 1, the central 8 x 8 square, whatever its draws.
        var x = Uniform([64, 3, 8, 32], 18);
        var crop = Create("random-resized-crop", ("Scale", new[] { 0.9, 1.0 }), ("Ratio", new[] { 1.0, 1.0 }), ("Size", 8));
        var y = Apply(crop, x, seed: 16);
        y.shape.Should().Equal(64, 3, 8, 8);
        // Output pixel centres land exactly on input pixel centres 12..19, so bilinear returns the pixels.
        MaxAbsDiff(y, x.narrow(3, 12, 8)).Should().OnlyContain(d => d < 1e-5);
    }

    [Fact]
    public void The_crop_consumes_the_same_stretch_of_the_stream_whichever_candidates_fit()
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([64, 1, 8, 32], 19);
        double[] NextDraws(IAugmentation crop)
        {
            using var g = new Generator(12);
            using var y = crop.Apply(x, g);
            using var next = torch.rand([8], ScalarType.Float64, generator: g);
            return next.data<double>();
        }
        // The first candidate always fits; none ever fits; the crop is never applied.
        var small = NextDraws(Create("random-resized-crop", ("Scale", new[] { 0.01, 0.02 })));
        NextDraws(Create("random-resized-crop", ("Scale", new[] { 0.9, 1.0 }), ("Ratio", new[] { 1.0, 1.0 }))).Should().Equal(small);
        NextDraws(Create("random-resized-crop", ("P", 0.0))).Should().Equal(small);
    }

    [Fact]
    public void Every_sample_of_a_batch_draws_its_own_crop()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 64;
        using var one = Uniform([1, 3, 32, 32], 5);
        var x = one.expand(n, 3, 32, 32).contiguous();
        var y = Apply(Create("random-resized-crop"), x, seed: 3);
        var first = y.slice(0, 0, 1).expand(n, 3, 32, 32);
        MaxAbsDiff(y, first).Skip(1).Should().OnlyContain(d => d > 1e-3, "identical inputs get different crops");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Full_scale_square_crops_of_square_images_are_the_identity(int channels)
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([16, channels, 20, 20], 7);
        var crop = Create("random-resized-crop", ("Scale", new[] { 1.0, 1.0 }), ("Ratio", new[] { 1.0, 1.0 }));
        var y = Apply(crop, x, seed: 4);
        y.shape.Should().Equal(x.shape);
        y.allclose(x, rtol: 0, atol: 1e-5).Should().BeTrue();
    }

    [Theory]
    // The whole image enlarged: the outermost output pixels sample beyond the outermost input pixel centres.
    [InlineData(1.0, 1.0)]
    [InlineData(0.08, 1.0)]
    public void Crops_of_a_constant_image_stay_constant_up_to_the_edges(double smin, double smax)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.full([256, 3, 32, 32], 0.7);
        var crop = Create("random-resized-crop", ("Scale", new[] { smin, smax }), ("Ratio", new[] { 1.0, 1.0 }), ("Size", 48));
        var y = Apply(crop, x, seed: 9);
        (y - 0.7).abs().max().item<float>().Should().BeLessThan(1e-5f, "edges repeat the image's border, they do not fade to black");
    }

    [Theory]
    [InlineData(1, 28, 16)]
    [InlineData(3, 32, 24)]
    [InlineData(3, 32, 48)]
    [InlineData(1, 28, 0)]
    public void Crops_are_resized_to_size_or_keep_the_input_size(int channels, int side, int size)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.rand([4, channels, side, side]);
        var y = Apply(Create("random-resized-crop", ("Size", size)), x, seed: 0);
        var expected = size == 0 ? side : size;
        y.shape.Should().Equal(4, channels, expected, expected);
    }

    [Fact]
    public void Crop_probability_leaves_the_other_samples_whole()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 1000;
        var x = Uniform([n, 1, 16, 16], 13);
        var untouched = Apply(Create("random-resized-crop", ("P", 0.0)), x, seed: 6);
        untouched.allclose(x, rtol: 0, atol: 1e-5).Should().BeTrue("p = 0 crops nothing");
        var half = Apply(Create("random-resized-crop", ("P", 0.5)), x, seed: 6);
        var whole = MaxAbsDiff(half, x).Count(d => d < 1e-5);
        whole.Should().BeInRange(450, 550, "each sample is cropped with probability 0.5");
    }

    [Theory]
    [InlineData("Scale", new[] { 0.9, 0.1 }, "*scale*")]
    [InlineData("Scale", new[] { 0.0, 0.5 }, "*scale*")]
    [InlineData("Scale", new[] { 0.5, 1.5 }, "*scale*")]
    [InlineData("Ratio", new[] { 0.0, 1.0 }, "*ratio*")]
    [InlineData("Ratio", new[] { 2.0, 1.0 }, "*ratio*")]
    [InlineData("Scale", new[] { 0.1, 0.5, 1.0 }, "*Scale*")]
    public void Crop_options_reject_inverted_or_out_of_range_bounds(string key, double[] value, string message)
    {
        var options = Options("random-resized-crop", (key, value));
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true).Should().BeFalse();
        results.Select(r => r.ErrorMessage).Should().ContainMatch(message);
    }
}
