using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Augmentations.RandomErasing;

/// <summary>Options of the <c>random-erasing</c> augmentation.</summary>
public sealed record RandomErasingOptions : PluginOptions, IValidatableObject
{
    /// <summary>Probability that a sample gets a rectangle erased, drawn independently per sample (default 0.5, torchvision's).</summary>
    [Range(0.0, 1.0)]
    public double P { get; init; } = 0.5;

    /// <summary>
    /// Range [min, max] of the rectangle's area as a fraction of the image's area, drawn uniformly per
    /// sample (default [0.02, 0.33], torchvision's and Zhong et al.'s; 0 &lt; min &lt;= max &lt;= 1).
    /// </summary>
    [Length(2, 2)]
    public double[] Scale { get; init; } = [0.02, 0.33];

    /// <summary>
    /// Range [min, max] of the rectangle's aspect ratio, height / width as in torchvision; its
    /// logarithm is drawn uniformly per sample (default [0.3, 3.3]; 0 &lt; min &lt;= max).
    /// </summary>
    [Length(2, 2)]
    public double[] Ratio { get; init; } = [0.3, 3.3];

    /// <summary>Value written into every channel of the erased rectangle, in [0, 1] (default 0: black, torchvision's).</summary>
    [Range(0.0, 1.0)]
    public double Value { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PerSample.Interval(Scale, "scale", nameof(Scale), fraction: true) is { } scaleError) yield return scaleError;
        if (PerSample.Interval(Ratio, "ratio", nameof(Ratio), fraction: false) is { } ratioError) yield return ratioError;
    }
}

/// <summary>
/// Random erasing / cutout (Zhong et al., 2020; DeVries and Taylor, 2017), batched as torchvision's
/// RandomErasing: with probability <c>p</c> a sample draws an area fraction uniformly in
/// <c>scale</c> and a log aspect ratio uniformly in log(<c>ratio</c>); a whole-pixel rectangle of
/// that area and aspect (sides rounded) at a uniformly random position is set to <c>value</c>.
/// The whole batch is one mask comparison and one <c>where</c>.
/// </summary>
/// <remarks>
/// As torchvision, a sample draws up to 10 candidates and erases the first whose whole-pixel sides
/// are smaller than the image's, and nothing when none is; every sample consumes the same 23
/// uniforms whichever candidate it takes, so later draws do not depend on which fit.
/// </remarks>
[Plugin("random-erasing", Summary = "erase a random rectangle (area fraction, aspect ratio) per sample with probability p",
    Citation = "Zhong et al., AAAI 2020; DeVries and Taylor (cutout), 2017")]
public sealed class RandomErasingAugmentation(RandomErasingOptions options) : IAugmentation
{
    public Tensor Apply(Tensor batch, Generator generator)
    {
        PerSample.RequireImageBatch(batch, "random-erasing");
        var (n, height, width) = (batch.size(0), batch.size(2), batch.size(3));
        // Per sample: 10 candidates of 2 uniforms, the position's 2, the p draw: the same 23 whatever fits.
        const int draws = 2 * PerSample.Attempts + 3;
        var u = SampleDraws.Uniforms(generator, n, draws);
        // Per sample: first and one-past-last row and column; an empty range erases nothing.
        var rows = new long[n * 2];
        var cols = new long[n * 2];
        for (var i = 0; i < n; i++)
        {
            var d = u.AsSpan(i * draws, draws);
            if (d[draws - 1] >= options.P) continue;
            for (var k = 0; k < PerSample.Attempts; k++)
            {
                // Aspect is height / width, and sides are whole pixels smaller than the image's, as torchvision's.
                var (area, ratio) = PerSample.Candidate(d, k, options.Scale, options.Ratio, height * width);
                var (h, w) = ((long)Math.Round(Math.Sqrt(area * ratio)), (long)Math.Round(Math.Sqrt(area / ratio)));
                if (h >= height || w >= width) continue;
                var top = Math.Min((long)(d[2 * PerSample.Attempts] * (height - h + 1)), height - h);
                var left = Math.Min((long)(d[2 * PerSample.Attempts + 1] * (width - w + 1)), width - w);
                (rows[2 * i], rows[2 * i + 1]) = (top, top + h);
                (cols[2 * i], cols[2 * i + 1]) = (left, left + w);
                break;
            }
        }

        using var scope = torch.NewDisposeScope();
        var r = torch.tensor<long>(rows, [n, 2, 1, 1], device: batch.device);
        var c = torch.tensor<long>(cols, [n, 2, 1, 1], device: batch.device);
        var y = torch.arange(height, device: batch.device).view(1, 1, height, 1);
        var x = torch.arange(width, device: batch.device).view(1, 1, 1, width);
        var inRows = (y >= r.narrow(1, 0, 1)) & (y < r.narrow(1, 1, 1));
        var inCols = (x >= c.narrow(1, 0, 1)) & (x < c.narrow(1, 1, 1));
        var erased = torch.where(inRows & inCols, torch.full_like(batch, options.Value), batch);
        return erased.MoveToOuterScope();
    }
}
