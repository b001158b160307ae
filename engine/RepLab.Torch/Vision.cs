using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>
/// Image operations on whole batches [N, C, H, W] with values in [0, 1], each sample with its own
/// parameters, named after torchvision's functional transforms where one exists. Each runs a fused
/// kernel on contiguous CPU float32/float64 batches (engine/native/src/vision.cpp) and an equivalent
/// composition of ordinary ops elsewhere (CUDA, half precision); tests hold the two together.
/// </summary>
public static class vision
{
    /// <summary>Colour operation codes of <see cref="color_jitter_"/>'s stages.</summary>
    public enum ColorOp
    {
        /// <summary>Skip this stage.</summary>
        None = -1,
        /// <summary>Brightness: <c>f·x</c>.</summary>
        Brightness = 0,
        /// <summary>Contrast: <c>f·x + (1 - f)·mean(luma)</c>.</summary>
        Contrast = 1,
        /// <summary>Saturation: <c>f·x + (1 - f)·luma</c>.</summary>
        Saturation = 2,
        /// <summary>Hue: turns the HSV hue by the value, in fractions of the circle.</summary>
        Hue = 3,
    }

    /// <summary>
    /// The ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B) of an RGB batch as [N, 1, H, W], as
    /// torchvision's <c>rgb_to_grayscale</c>; a one-channel batch is its own luma (a copy).
    /// </summary>
    public static Tensor rgb_to_grayscale(Tensor x)
    {
        if (x.size(1) == 1) return x.clone();
        using var weights = torch.tensor<double>([0.299, 0.587, 0.114], [1, 3, 1, 1], x.dtype, x.device);
        using var weighted = x * weights;
        return weighted.sum(1, keepdim: true);
    }

    /// <summary>
    /// In place, sample by sample, four stages: stage k of sample i applies <c>ops[4 i + k]</c> with
    /// <c>values[4 i + k]</c>, each result clamped to [0, 1]: brightness <c>f x</c>; contrast
    /// <c>f x + (1 - f) mean(luma)</c>; saturation <c>f x + (1 - f) luma</c>; hue turns the HSV hue by
    /// the value, in fractions of the circle (H as torchvision's <c>_rgb2hsv</c>). Saturation and hue
    /// need colour and leave one-channel samples alone. A stage that changes nothing (factor 1, shift
    /// 0, no op) leaves its sample's values as they are, unclamped. Returns <paramref name="x"/>.
    /// </summary>
    /// <remarks>
    /// On a contiguous CPU float32/float64 batch this is one native pass per sample and stage;
    /// otherwise a composition of ordinary ops that agrees with it to float rounding.
    /// </remarks>
    public static Tensor color_jitter_(Tensor x, ReadOnlySpan<ColorOp> ops, ReadOnlySpan<double> values)
    {
        if (x.dim() != 4 || x.size(1) is not (1 or 3) || !x.dtype.IsFloatingPoint())
            throw new ArgumentException($"color_jitter_: expects a float [N, 1 or 3, H, W] batch, got {x.dtype} [{string.Join(", ", x.shape)}]");
        var n = x.size(0);
        if (ops.Length != 4 * n || values.Length != 4 * n)
            throw new ArgumentException($"color_jitter_: {ops.Length} ops and {values.Length} values for {n} samples: expected {4 * n} each");
        return Fusable(x) ? ColorJitterFused_(x, ops, values) : ColorJitterComposed_(x, ops, values);
    }

    private static bool Fusable(Tensor x) =>
        x.device.Type == DeviceType.CPU && (x.dtype is ScalarType.Float32 or ScalarType.Float64) && x.is_contiguous();

    /// <summary>
    /// Per sample i the box <c>boxes[4 i ..]</c> = (x0, y0, width, height) in pixels (sub-pixel
    /// allowed) cut out and resized to <paramref name="height"/> x <paramref name="width"/>: bilinear
    /// with align_corners false and border padding (sampling points beyond the outer pixel centres take
    /// the edge pixel), as <c>grid_sample</c> over the box's <c>affine_grid</c>; clamped to [0, 1].
    /// With <paramref name="antialias"/>, an axis the box shrinks takes the triangle filter widened to
    /// the scale, normalised over the pixels in the image, as PyTorch's <c>interpolate(antialias=True)</c>
    /// and PIL do: every source pixel counts instead of two.
    /// </summary>
    /// <remarks>
    /// The taps (which source pixels each output pixel blends, with which weights) are computed here,
    /// once; a fused kernel applies them on CPU, two batched matrix products elsewhere.
    /// </remarks>
    public static Tensor resized_crop(Tensor x, ReadOnlySpan<double> boxes, long height, long width, bool antialias = false)
    {
        if (x.dim() != 4 || !x.dtype.IsFloatingPoint())
            throw new ArgumentException($"resized_crop: expects a float [N, C, H, W] batch, got {x.dtype} [{string.Join(", ", x.shape)}]");
        if (boxes.Length != 4 * x.size(0))
            throw new ArgumentException($"resized_crop: {boxes.Length} box values for {x.size(0)} samples: expected {4 * x.size(0)}");
        if (x.size(2) == 0 || x.size(3) == 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"resized_crop: cannot resize [{string.Join(", ", x.shape)}] to {height}x{width}");
        foreach (var v in boxes)
            if (!double.IsFinite(v)) throw new ArgumentException($"resized_crop: box values must be finite, got {v}");
        var rows = Taps(boxes, 1, x.size(2), height, antialias);
        var columns = Taps(boxes, 0, x.size(3), width, antialias);
        return Fusable(x) ? ResampleFused(x, rows, columns) : ResampleComposed(x, rows, columns);
    }

    /// <summary>One axis's taps for a batch: output o of sample i blends source pixels <c>Index[(i output + o) K + t]</c> with <c>Weight[...]</c>.</summary>
    internal sealed record AxisTaps(long[] Index, double[] Weight, int K, long Output, long Size);

    /// <summary>
    /// The taps of one axis (<paramref name="axis"/> 0: x, 1: y) of every sample's box: bilinear with
    /// the coordinate clipped to the image (2 taps), or, where <paramref name="antialias"/> and the box
    /// shrinks the axis, the triangle filter widened to the scale over the pixels in the image
    /// (PyTorch's <c>_upsample_bilinear2d_aa</c>, PIL's reduce). Unused taps weigh 0.
    /// </summary>
    internal static AxisTaps Taps(ReadOnlySpan<double> boxes, int axis, long size, long output, bool antialias)
    {
        var n = boxes.Length / 4;
        var k = 2;
        for (var i = 0; i < n && antialias; i++)
            if (boxes[4 * i + 2 + axis] / output is var scale && scale > 1) k = Math.Max(k, 2 * (int)Math.Ceiling(scale) + 1);
        var (index, weight) = (new long[n * output * k], new double[n * output * k]);
        for (var i = 0; i < n; i++)
        {
            var (start, scale) = (boxes[4 * i + axis], boxes[4 * i + 2 + axis] / output);
            for (var o = 0; o < output; o++)
            {
                var at = (int)((i * output + o) * k);
                if (!antialias || scale <= 1)
                {
                    var s = Math.Clamp(start + (o + 0.5) * scale - 0.5, 0, size - 1);
                    var lo = (long)Math.Floor(s);
                    (index[at], index[at + 1]) = (lo, Math.Min(lo + 1, size - 1));
                    (weight[at], weight[at + 1]) = (1 - (s - lo), s - lo);
                    continue;
                }
                var center = start + (o + 0.5) * scale;
                var (first, last) = (Math.Max((long)Math.Floor(center - scale + 0.5), 0), Math.Min((long)Math.Floor(center + scale + 0.5), size));
                var total = 0.0;
                for (var j = first; j < last && j - first < k; j++)
                {
                    (index[at + j - first], weight[at + j - first]) = (j, Math.Max(0, 1 - Math.Abs((j + 0.5 - center) / scale)));
                    total += weight[at + j - first];
                }
                if (total <= 0)
                {
                    // A box wholly outside the image: its nearest pixel.
                    (index[at], weight[at]) = (Math.Clamp((long)Math.Floor(center), 0, size - 1), 1);
                    continue;
                }
                for (var t = 0; t < k; t++) weight[at + t] /= total;
            }
        }
        return new AxisTaps(index, weight, k, output, size);
    }

    internal static unsafe Tensor ResampleFused(Tensor x, AxisTaps rows, AxisTaps columns)
    {
        fixed (long* iy = rows.Index)
        fixed (double* wy = rows.Weight)
        fixed (long* ix = columns.Index)
        fixed (double* wx = columns.Weight)
            return Tensor.Wrap(rl_resample(x.H, iy, wy, rows.K, ix, wx, columns.K, rows.Output, columns.Output, out var o), o);
    }

    /// <summary>The composition: each axis's taps scattered into [N, 1, output, size] matrices, then [rows] @ x @ [columns]^T.</summary>
    internal static Tensor ResampleComposed(Tensor x, AxisTaps rows, AxisTaps columns)
    {
        using var scope = torch.NewDisposeScope();
        var n = x.size(0);
        Tensor Matrix(AxisTaps taps) =>
            torch.zeros([n, 1, taps.Output, taps.Size], x.dtype, x.device).scatter_add_(3,
                torch.tensor<long>(taps.Index, [n, 1, taps.Output, taps.K], device: x.device),
                torch.tensor<double>(taps.Weight, [n, 1, taps.Output, taps.K], x.dtype, x.device));
        return Matrix(rows).matmul(x).matmul(Matrix(columns).transpose(2, 3)).clamp_(0, 1).MoveToOuterScope();
    }

    /// <summary>
    /// A separable blur with reflect padding: sample i, where <paramref name="apply"/> holds, is
    /// filtered along both axes by its own 1-D kernel <c>kernels[(2 r + 1) i ..]</c> (r =
    /// <paramref name="radius"/>, less than the image's sides); the others are copied. Clamped to [0, 1].
    /// </summary>
    public static Tensor gaussian_blur(Tensor x, ReadOnlySpan<double> kernels, int radius, ReadOnlySpan<bool> apply)
    {
        var n = x.size(0);
        if (x.dim() != 4 || !x.dtype.IsFloatingPoint())
            throw new ArgumentException($"gaussian_blur: expects a float [N, C, H, W] batch, got {x.dtype} [{string.Join(", ", x.shape)}]");
        if (kernels.Length != (2 * radius + 1) * n || apply.Length != n)
            throw new ArgumentException($"gaussian_blur: {kernels.Length} kernel values and {apply.Length} flags for {n} samples of radius {radius}: expected {(2 * radius + 1) * n} and {n}");
        if (radius >= x.size(2) || radius >= x.size(3))
            throw new ArgumentException($"gaussian_blur: radius {radius} needs images larger than {radius} pixels a side for reflection, got {x.size(2)}x{x.size(3)}");
        return Fusable(x) ? GaussianBlurFused(x, kernels, radius, apply) : GaussianBlurComposed(x, kernels, radius, apply);
    }

    internal static unsafe Tensor GaussianBlurFused(Tensor x, ReadOnlySpan<double> kernels, int radius, ReadOnlySpan<bool> apply)
    {
        var flags = new byte[apply.Length];
        for (var i = 0; i < flags.Length; i++) flags[i] = apply[i] ? (byte)1 : (byte)0;
        fixed (double* k = kernels)
        fixed (byte* a = flags)
            return Tensor.Wrap(rl_gaussian_blur(x.H, k, radius, a, out var o), o);
    }

    /// <summary>The composition: every (sample, channel) plane is a group of two depthwise convolutions, rows then columns.</summary>
    internal static Tensor GaussianBlurComposed(Tensor x, ReadOnlySpan<double> kernels, int radius, ReadOnlySpan<bool> apply)
    {
        var (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3));
        var size = 2 * radius + 1;
        var weights = new double[n * c * size];
        for (var i = 0; i < n; i++)
            for (var ch = 0; ch < c; ch++) kernels.Slice((int)(i * size), size).CopyTo(weights.AsSpan((int)((i * c + ch) * size), size));
        using var scope = torch.NewDisposeScope();
        var rowKernels = torch.tensor<double>(weights, [n * c, 1, 1, size], x.dtype, x.device);
        var planes = x.reshape(1, n * c, h, w);
        var padded = F.pad(planes, [radius, radius, radius, radius], "reflect");
        var rows = F.conv2d(padded, rowKernels, null, 1, 0, 1, n * c);
        var both = F.conv2d(rows, rowKernels.view(n * c, 1, size, 1), null, 1, 0, 1, n * c);
        var mask = torch.tensor<bool>(apply.ToArray(), [n, 1, 1, 1], device: x.device);
        // The weights sum to 1 only up to rounding; keep the [0, 1] contract exact.
        return torch.where(mask, both.view(n, c, h, w).clamp(0, 1), x).MoveToOuterScope();
    }

    /// <summary>Operations of <see cref="SampleMap"/>: the codes of <c>rl_sample_map</c>.</summary>
    internal enum MapOp { FlipLeftRight = 0, FlipTopBottom = 1, Grayscale = 2, Solarize = 3 }

    /// <summary>Samples where <paramref name="apply"/> holds mirrored left-right (torchvision's hflip), the others copied; a new tensor.</summary>
    public static Tensor hflip(Tensor x, ReadOnlySpan<bool> apply) => SampleMap(x, MapOp.FlipLeftRight, 0, apply);

    /// <summary>Samples where <paramref name="apply"/> holds mirrored top-bottom (torchvision's vflip), the others copied; a new tensor.</summary>
    public static Tensor vflip(Tensor x, ReadOnlySpan<bool> apply) => SampleMap(x, MapOp.FlipTopBottom, 0, apply);

    /// <summary>RGB samples where <paramref name="apply"/> holds turned gray, the BT.601 luma in all three channels; a new tensor.</summary>
    public static Tensor grayscale(Tensor x, ReadOnlySpan<bool> apply) => SampleMap(x, MapOp.Grayscale, 0, apply);

    /// <summary>Samples where <paramref name="apply"/> holds solarized: values at or above <paramref name="threshold"/> become 1 - x; a new tensor.</summary>
    public static Tensor solarize(Tensor x, double threshold, ReadOnlySpan<bool> apply) => SampleMap(x, MapOp.Solarize, threshold, apply);

    private static Tensor SampleMap(Tensor x, MapOp op, double param, ReadOnlySpan<bool> apply)
    {
        if (x.dim() != 4 || !x.dtype.IsFloatingPoint())
            throw new ArgumentException($"{op}: expects a float [N, C, H, W] batch, got {x.dtype} [{string.Join(", ", x.shape)}]");
        if (apply.Length != x.size(0))
            throw new ArgumentException($"{op}: {apply.Length} flags for {x.size(0)} samples");
        if (op == MapOp.Grayscale && x.size(1) != 3)
            throw new ArgumentException($"grayscale: needs RGB (3 channels), got {x.size(1)}");
        return Fusable(x) ? SampleMapFused(x, op, param, apply) : SampleMapComposed(x, op, param, apply);
    }

    internal static unsafe Tensor SampleMapFused(Tensor x, MapOp op, double param, ReadOnlySpan<bool> apply)
    {
        var flags = new byte[apply.Length];
        for (var i = 0; i < flags.Length; i++) flags[i] = apply[i] ? (byte)1 : (byte)0;
        fixed (byte* a = flags) return Tensor.Wrap(rl_sample_map(x.H, (int)op, param, a, out var o), o);
    }

    /// <summary>The composition: the whole batch mapped, then a per-sample select.</summary>
    internal static Tensor SampleMapComposed(Tensor x, MapOp op, double param, ReadOnlySpan<bool> apply)
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.tensor<bool>(apply.ToArray(), [x.size(0), 1, 1, 1], device: x.device);
        var mapped = op switch
        {
            MapOp.FlipLeftRight => x.flip(3),
            MapOp.FlipTopBottom => x.flip(2),
            MapOp.Grayscale => rgb_to_grayscale(x).expand_as(x),
            _ => torch.where(x >= param, 1 - x, x),
        };
        return torch.where(mask, mapped, x).MoveToOuterScope();
    }

    internal static unsafe Tensor ColorJitterFused_(Tensor x, ReadOnlySpan<ColorOp> ops, ReadOnlySpan<double> values)
    {
        var stages = new double[2 * ops.Length];
        for (var i = 0; i < ops.Length; i++)
        {
            stages[2 * i] = (int)ops[i];
            stages[2 * i + 1] = values[i];
        }
        fixed (double* p = stages) Check(rl_color_jitter_(x.H, p, x.size(0)));
        return x;
    }

    /// <summary>
    /// The composition: at stage k brightness, contrast and saturation are all the blend
    /// <c>f x + (1 - f) ref</c> with ref = 0, the mean luma or the luma, so the whole batch takes one
    /// blend with a per-sample factor and reference (f = 1 leaves a sample bit-for-bit unchanged);
    /// the hue runs only on the samples whose stage-k operation it is.
    /// </summary>
    internal static Tensor ColorJitterComposed_(Tensor x, ReadOnlySpan<ColorOp> ops, ReadOnlySpan<double> values)
    {
        var n = (int)x.size(0);
        var rgb = x.size(1) == 3;
        using var scope = torch.NewDisposeScope();
        for (var stage = 0; stage < 4; stage++)
        {
            var f = new double[n];
            var contrast = new double[n];
            var saturation = new double[n];
            var hued = new List<long>();
            var shifts = new List<double>();
            for (var i = 0; i < n; i++)
            {
                var (op, v) = (ops[4 * i + stage], values[4 * i + stage]);
                if (!rgb && (op is ColorOp.Saturation or ColorOp.Hue)) op = ColorOp.None;
                f[i] = op is ColorOp.Brightness or ColorOp.Contrast or ColorOp.Saturation ? v : 1;
                contrast[i] = op == ColorOp.Contrast ? 1 - v : 0;
                saturation[i] = op == ColorOp.Saturation ? 1 - v : 0;
                if (op == ColorOp.Hue && v != 0)
                {
                    hued.Add(i);
                    shifts.Add(v);
                }
            }
            if (f.Any(v => v != 1))
            {
                // x = f x + (1 - f) [saturation] luma + (1 - f) [contrast] mean(luma): the per-sample
                // coefficients are tiny [N, 1, 1, 1] tensors, the full-size work three fused updates.
                var factor = torch.tensor<double>(f, [n, 1, 1, 1], x.dtype, x.device);
                var luma = rgb_to_grayscale(x);
                var offset = luma.mean([1, 2, 3], keepdim: true).mul_(torch.tensor<double>(contrast, [n, 1, 1, 1], x.dtype, x.device));
                var blended = (x * factor).addcmul_(luma, torch.tensor<double>(saturation, [n, 1, 1, 1], x.dtype, x.device)).add_(offset).clamp_(0, 1);
                // Only the samples this stage touches: the kernel leaves the others (even out of [0, 1]) alone.
                var touched = torch.tensor<bool>(f.Select(v => v != 1).ToArray(), [n, 1, 1, 1], device: x.device);
                x.copy_(torch.where(touched, blended, x));
            }
            if (hued.Count > 0)
            {
                var index = torch.tensor<long>(hued.ToArray(), [hued.Count], device: x.device);
                var shift = torch.tensor<double>(shifts.ToArray(), [hued.Count, 1, 1, 1], x.dtype, x.device);
                x.index_put_([index], ShiftHue(x.index_select(0, index), shift));
            }
        }
        return x;
    }

    /// <summary>
    /// Turns the hue of RGB samples [M, 3, H, W] by <paramref name="shift"/> [M, 1, 1, 1] (fractions of
    /// the circle): H from torchvision's <c>_rgb2hsv</c>, then back with the closed form
    /// c_n = V - V S clamp(min(k, 4 - k), 0, 1), k = (n + 6 H) mod 6, n = 5, 3, 1 for R, G, B,
    /// where V = max and V S = max - min (the chroma), so S and V never need dividing out.
    /// </summary>
    private static Tensor ShiftHue(Tensor rgb, Tensor shift)
    {
        var (r, g, b) = (rgb.narrow(1, 0, 1), rgb.narrow(1, 1, 1), rgb.narrow(1, 2, 1));
        var max = rgb.amax(1, keepdim: true);
        var chroma = max - rgb.amin(1, keepdim: true);
        // Gray pixels have no hue; any divisor keeps them finite, and their chroma 0 undoes any hue.
        var divisor = torch.where(chroma.eq(0), torch.ones_like(chroma), chroma);
        var (rc, gc, bc) = ((max - r) / divisor, (max - g) / divisor, (max - b) / divisor);
        // The sector of the maximum channel, R first then G, as torchvision breaks ties.
        var sector = torch.where(max.eq(r), bc - gc, torch.where(max.eq(g), rc - bc + 2.0, gc - rc + 4.0));
        var hue6 = (sector / 6.0 + shift).remainder(1.0) * 6.0;
        var n = torch.tensor<double>([5, 3, 1], [1, 3, 1, 1], rgb.dtype, rgb.device);
        var k = (hue6 + n).remainder(6.0);
        var ramp = k.minimum(4.0 - k).clamp(0, 1);
        return (max - chroma * ramp).clamp_(0, 1);
    }
}
