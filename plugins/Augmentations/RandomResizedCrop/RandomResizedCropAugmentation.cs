using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.RandomResizedCrop;

/// <summary>Options of the <c>random-resized-crop</c> augmentation.</summary>
public sealed record RandomResizedCropOptions : PluginOptions, IValidatableObject
{
    /// <summary>
    /// Range [min, max] of the crop's area as a fraction of the image's area, drawn uniformly per candidate
    /// crop (default [0.08, 1.0], torchvision's and SimCLR's; 0 &lt; min &lt;= max &lt;= 1).
    /// </summary>
    [Length(2, 2)]
    public double[] Scale { get; init; } = [0.08, 1.0];

    /// <summary>
    /// Range [min, max] of the crop's aspect ratio, width / height; its logarithm is drawn uniformly per
    /// candidate crop (default [3/4, 4/3], torchvision's; 0 &lt; min &lt;= max).
    /// </summary>
    [Length(2, 2)]
    public double[] Ratio { get; init; } = [3.0 / 4.0, 4.0 / 3.0];

    /// <summary>Side of the square output in pixels; 0 keeps the input's height and width (default 0).</summary>
    [Range(0, 8192)]
    public int Size { get; init; }

    /// <summary>
    /// Probability that a sample is cropped (default 1); the others keep the whole image (resized to
    /// <c>size</c> when it is set, so the batch keeps one shape).
    /// </summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 1.0;

    /// <summary>
    /// Filter over every pixel of a crop larger than the output instead of sampling two per axis
    /// (default true: torchvision's tensor default since 0.17, and what PIL does). Crops no larger
    /// than the output, the common case for small images, are the same either way.
    /// </summary>
    public bool Antialias { get; init; } = true;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PerSample.Interval(Scale, "scale", nameof(Scale), fraction: true) is { } scaleError) yield return scaleError;
        if (PerSample.Interval(Ratio, "ratio", nameof(Ratio), fraction: false) is { } ratioError) yield return ratioError;
    }
}

/// <summary>
/// The Inception-style random resized crop (Szegedy et al., 2015) used by SimCLR, BYOL and most
/// contrastive methods, batched, with the semantics of torchvision's <c>RandomResizedCrop.get_params</c>:
/// each sample draws up to 10 candidates, an area fraction uniform in <c>scale</c> and a log aspect
/// ratio uniform in log(<c>ratio</c>), and takes the first whose width sqrt(area ratio) and height
/// sqrt(area / ratio) fit in the image, at a uniformly random position; when none fits, it takes the
/// central crop of the whole image with its aspect ratio clamped into <c>ratio</c>. The crop is resized
/// to <c>size</c> by the engine's <see cref="vision.resized_crop"/>: bilinear, align_corners false,
/// border padding, and antialiased where the crop is larger than the output (as torchvision's tensor
/// default, antialias=True, and PIL). For a whole-pixel crop box this samples where torchvision's
/// crop-then-resize samples, except in the outer half pixel, which blends in the image pixels just
/// outside the crop instead of repeating the crop's edge.
/// </summary>
/// <remarks>
/// As in torchvision, the crops taken are not uniform in area: large candidates fail to fit more
/// often (on a square image at the defaults about 14% of candidates do not fit, and the crops taken
/// cover 0.478 of the image on average where the draws average 0.54). Every sample consumes the same
/// 23 uniforms (10 candidates of 2, the position's 2 and the <c>p</c> draw) whichever candidate it
/// takes, so the generator's stream, and every later draw from it, does not depend on which crops
/// fit. Differences from torchvision: crop boxes are continuous (sub-pixel size and position) rather
/// than rounded to whole pixels, so a candidate fits when its exact width and height do.
/// </remarks>
[Plugin("random-resized-crop", Summary = "crop a random area fraction and aspect ratio, resize to size (bilinear)",
    Citation = "Szegedy et al., CVPR 2015; Chen et al. (SimCLR), ICML 2020")]
public sealed class RandomResizedCropAugmentation(RandomResizedCropOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "random-resized-crop");
        var (n, height, width) = (batch.size(0), batch.size(2), batch.size(3));
        var (outHeight, outWidth) = options.Size > 0 ? ((long)options.Size, (long)options.Size) : (height, width);
        // Border padding: sample points beyond the outermost pixel centres take the edge pixel, as
        // torchvision's resize does, instead of fading towards zero.
        var x = batch.is_contiguous() ? batch : batch.contiguous();
        try
        {
            return vision.resized_crop(x, Boxes(generator, n, height, width), outHeight, outWidth, options.Antialias);
        }
        finally
        {
            if (!ReferenceEquals(x, batch)) x.Dispose();
        }
    }

    /// <summary>Candidate crops drawn per sample before the central fallback, as torchvision.</summary>
    private const int Attempts = PerSample.Attempts;

    /// <summary>Uniforms per sample: area and log ratio per candidate, then x and y position, then the p draw.</summary>
    private const int Draws = 2 * Attempts + 3;

    /// <summary>Per-sample crop boxes (x0, y0, width, height) in pixels, 4 values a sample.</summary>
    private double[] Boxes(Generator generator, long n, long height, long width)
    {
        var u = SampleDraws.Uniforms(generator, n, Draws);
        var boxes = new double[n * 4];
        for (var i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * Draws, Draws);
            var (x0, y0, w, h) = d[Draws - 1] < options.P ? Box(d, height, width) : (0.0, 0.0, (double)width, (double)height);
            (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]) = (x0, y0, w, h);
        }
        return boxes;
    }

    /// <summary>One sample's crop box in pixels from its <see cref="Draws"/> uniforms.</summary>
    private (double X0, double Y0, double W, double H) Box(ReadOnlySpan<double> d, long height, long width)
    {
        for (var k = 0; k < Attempts; k++)
        {
            var (area, ratio) = PerSample.Candidate(d, k, options.Scale, options.Ratio, height * width);
            var (w, h) = (Math.Sqrt(area * ratio), Math.Sqrt(area / ratio));
            if (w <= width && h <= height)
                return ((width - w) * d[2 * Attempts], (height - h) * d[2 * Attempts + 1], w, h);
        }
        // torchvision's fallback: the whole image, cut to the nearest allowed aspect ratio, centred.
        var (cw, ch) = ((double)width, (double)height);
        var inRatio = cw / ch;
        if (inRatio < options.Ratio[0]) ch = cw / options.Ratio[0];
        else if (inRatio > options.Ratio[1]) cw = ch * options.Ratio[1];
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
