using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch.nn.functional</c>, imported the usual way as <c>F</c>.</summary>
public static class F
{
    private static TensorHandle Opt(Tensor? t) => t?.H ?? TensorHandle.Null;

    private static long[] Pair(long v) => [v, v];

    /// <summary>
    /// Compute transposed convolutions on CPU as the input-gradient of the adjoint convolution.
    /// Debian's libtorch 1.13 takes a slow path for conv_transpose2d; this gives the same result
    /// (to float rounding) several times faster. CUDA always uses libtorch's own kernel.
    /// </summary>
    public static bool UseAdjointConvTranspose { get; set; } = true;


    // ---- convolutions and linear ----

    /// <summary><c>F.conv2d</c>: 2-D convolution (cross-correlation) of <paramref name="input"/> [N, C_in, H, W] with <paramref name="weight"/> [C_out, C_in/groups, kH, kW], plus <paramref name="bias"/> [C_out]; gives [N, C_out, H_out, W_out]. <paramref name="stride"/>, <paramref name="padding"/> and <paramref name="dilation"/> are (height, width) pairs, defaulting to 1, 0 and 1. No string padding (<c>"same"</c>/<c>"valid"</c>): pass the numbers. A kernel that covers the whole unpadded input on the CPU runs as one matrix product (same result).</summary>
    public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
        long[]? dilation = null, long groups = 1)
    {
        stride ??= [1, 1];
        padding ??= [0, 0];
        dilation ??= [1, 1];
        if (KernelCoversInput(input, weight, padding, dilation, groups))
        {
            // A 1x1 output: one linear layer on the flattened input (DCGAN discriminators end so);
            // oneDNN runs it as a real convolution, several times slower on CPU.
            long n = input.size(0), cout = weight.size(0);
            using var flat = input.reshape(n, -1);
            using var w2 = weight.reshape(cout, -1);
            using var y = linear(flat, w2, bias);
            return y.view(n, cout, 1, 1);
        }
        fixed (long* s = stride)
        fixed (long* p = padding)
        fixed (long* d = dilation)
            return Tensor.Wrap(rl_conv2d(input.H, weight.H, Opt(bias), s, p, d, groups, out var o), o);
    }

    /// <summary><c>F.conv2d</c> with the same stride, padding and dilation for height and width.</summary>
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        conv2d(input, weight, bias, Pair(stride), Pair(padding), Pair(dilation), groups);

    /// <summary><c>F.conv_transpose2d</c>: the transposed convolution ("deconvolution") of <paramref name="input"/> [N, C_in, H, W] with <paramref name="weight"/> [C_in, C_out/groups, kH, kW]; H_out = (H - 1)·stride - 2·padding + dilation·(kH - 1) + output_padding + 1. Note the argument order of PyTorch: <paramref name="groups"/> before <paramref name="dilation"/>. On the CPU it runs as the adjoint of a convolution (see <see cref="UseAdjointConvTranspose"/>).</summary>
    public static unsafe Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null,
        long[]? padding = null, long[]? output_padding = null, long groups = 1, long[]? dilation = null)
    {
        stride ??= [1, 1];
        padding ??= [0, 0];
        output_padding ??= [0, 0];
        dilation ??= [1, 1];
        var adjoint = UseAdjointConvTranspose && input.device.Type == DeviceType.CPU;
        if (adjoint && IsOneByOneTranspose(input, weight, padding, output_padding, groups, dilation))
        {
            // (N, Cin) x (Cin, Cout*kh*kw): a generator's first layer (z -> 4x4 or 7x7) is one
            // GEMM, 5x (adjoint) to 20x (libtorch's kernel) faster on CPU than a convolution.
            long n = input.size(0), cin = weight.size(0);
            using var flat = input.reshape(n, cin);
            using var w2 = weight.reshape(cin, -1);
            using var product = flat.mm(w2);
            var y = product.view(n, weight.size(1), weight.size(2), weight.size(3));
            if (bias is null) return y;
            using (y)
            using (var b4 = bias.view(1, -1, 1, 1))
                return y + b4;
        }
        fixed (long* s = stride)
        fixed (long* p = padding)
        fixed (long* op = output_padding)
        fixed (long* d = dilation)
            return Tensor.Wrap(adjoint
                ? rl_conv_transpose2d_adjoint(input.H, weight.H, Opt(bias), s, p, op, groups, d, out var o)
                : rl_conv_transpose2d(input.H, weight.H, Opt(bias), s, p, op, groups, d, out o), o);
    }

    private static bool Unit(long[] v, long value) => v[0] == value && v[1] == value;

    private static bool KernelCoversInput(Tensor x, Tensor w, long[] padding, long[] dilation, long groups)
    {
        if (x.device.Type != DeviceType.CPU || x.dim() != 4 || w.dim() != 4 || groups != 1 || !Unit(padding, 0) || !Unit(dilation, 1))
            return false;
        var (xs, ws) = (x.shape, w.shape);
        return xs[1] == ws[1] && xs[2] == ws[2] && xs[3] == ws[3];
    }

    private static bool IsOneByOneTranspose(Tensor x, Tensor w, long[] padding, long[] outputPadding, long groups, long[] dilation)
    {
        if (x.dim() != 4 || w.dim() != 4 || groups != 1 || !Unit(padding, 0) || !Unit(outputPadding, 0) || !Unit(dilation, 1))
            return false;
        var (xs, ws) = (x.shape, w.shape);
        return xs[2] == 1 && xs[3] == 1 && xs[1] == ws[0];
    }

    /// <summary><c>F.conv_transpose2d</c> with the same stride, padding, output padding and dilation for height and width.</summary>
    public static Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0,
        long output_padding = 0, long groups = 1, long dilation = 1) =>
        conv_transpose2d(input, weight, bias, Pair(stride), Pair(padding), Pair(output_padding), groups, Pair(dilation));

    /// <summary><c>F.linear</c>: <c>input · weightᵀ + bias</c>, with <paramref name="weight"/> [out_features, in_features] as PyTorch stores it; <paramref name="input"/> is [..., in_features].</summary>
    public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Tensor.Wrap(rl_linear(input.H, weight.H, Opt(bias), out var o), o);

    // ---- normalisation and dropout ----

    /// <summary>
    /// Compute training-mode batch norm on CPU (float32, NCHW or channels-last) with the engine's fused
    /// kernels, which also fuse a following ReLU or LeakyReLU (see <see cref="NormActivation"/>): two
    /// passes over the input forward and two backward, the activation included. The same result to
    /// float rounding; off, every batch norm is libtorch's own operator.
    /// </summary>
    public static bool UseFusedBatchNorm { get; set; } = Environment.GetEnvironmentVariable("REPLAB_FUSED_NORM") != "0";

    /// <summary>Batch normalisation; in training, running statistics (when given) are updated in place.</summary>
    public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5) =>
        batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, NormActivation.None);

    /// <summary>
    /// Batch normalisation followed by <paramref name="activation"/>: the same as
    /// <c>activation(batch_norm(...))</c>, in one kernel where <see cref="UseFusedBatchNorm"/> allows.
    /// </summary>
    public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, NormActivation activation)
    {
        // PyTorch's F.batch_norm refuses this (libtorch itself would return zeros).
        if (training && input.dim() >= 2 && input.numel() == input.size(1))
            throw new ArgumentException($"Expected more than 1 value per channel when training, got input size [{string.Join(", ", input.shape)}]");
        return Tensor.Wrap(rl_batch_norm(input.H, Opt(weight), Opt(bias), Opt(running_mean), Opt(running_var), training ? 1 : 0, momentum, eps,
            (int)activation.Kind, activation.NegativeSlope, UseFusedBatchNorm ? 1 : 0, out var o), o);
    }

    /// <summary><c>F.group_norm</c>: normalises [N, C, ...] over groups of C/<paramref name="num_groups"/> channels (and all spatial positions), then applies the per-channel affine <paramref name="weight"/> and <paramref name="bias"/> when given.</summary>
    public static Tensor group_norm(Tensor input, long num_groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Tensor.Wrap(rl_group_norm(input.H, num_groups, Opt(weight), Opt(bias), eps, out var o), o);

    /// <summary><c>F.layer_norm</c>: normalises over the trailing dimensions <paramref name="normalized_shape"/>, then applies the elementwise affine <paramref name="weight"/> and <paramref name="bias"/> (shaped <paramref name="normalized_shape"/>) when given.</summary>
    public static unsafe Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        fixed (long* s = normalized_shape)
            return Tensor.Wrap(rl_layer_norm(input.H, s, normalized_shape.Length, Opt(weight), Opt(bias), eps, out var o), o);
    }

    /// <summary><c>F.dropout</c>: zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1-p) when <paramref name="training"/>; the input unchanged (a new handle) otherwise. Note <paramref name="training"/> defaults to true, as in PyTorch: pass the module's <c>training</c> flag.</summary>
    public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) =>
        Tensor.Wrap(rl_dropout(input.H, p, training ? 1 : 0, 0, out var o), o);

    /// <summary>Zeroes whole channels (PyTorch's dropout2d).</summary>
    public static Tensor dropout2d(Tensor input, double p = 0.5, bool training = true) =>
        Tensor.Wrap(rl_dropout(input.H, p, training ? 1 : 0, 1, out var o), o);

    // ---- pooling ----

    /// <summary><c>F.max_pool2d</c>: the maximum over <paramref name="kernel_size"/> windows of [N, C, H, W] (stride defaults to the kernel size). Gives the values only; <c>return_indices</c> is not bound.</summary>
    public static unsafe Tensor max_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
        long[]? dilation = null, bool ceil_mode = false)
    {
        stride ??= kernel_size;
        padding ??= [0, 0];
        dilation ??= [1, 1];
        fixed (long* k = kernel_size)
        fixed (long* s = stride)
        fixed (long* p = padding)
        fixed (long* d = dilation)
            return Tensor.Wrap(rl_max_pool2d(input.H, k, s, p, d, ceil_mode ? 1 : 0, out var o), o);
    }

    /// <summary><c>F.max_pool2d</c> with square windows.</summary>
    public static Tensor max_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
        max_pool2d(input, Pair(kernel_size), Pair(stride ?? kernel_size), Pair(padding));

    /// <summary><c>F.avg_pool2d</c>: the mean over <paramref name="kernel_size"/> windows of [N, C, H, W] (stride defaults to the kernel size); <paramref name="count_include_pad"/> counts zero padding in the divisor.</summary>
    public static unsafe Tensor avg_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
        bool ceil_mode = false, bool count_include_pad = true)
    {
        stride ??= kernel_size;
        padding ??= [0, 0];
        fixed (long* k = kernel_size)
        fixed (long* s = stride)
        fixed (long* p = padding)
            return Tensor.Wrap(rl_avg_pool2d(input.H, k, s, p, ceil_mode ? 1 : 0, count_include_pad ? 1 : 0, out var o), o);
    }

    /// <summary><c>F.avg_pool2d</c> with square windows.</summary>
    public static Tensor avg_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
        avg_pool2d(input, Pair(kernel_size), Pair(stride ?? kernel_size), Pair(padding));

    /// <summary><c>F.adaptive_avg_pool2d</c>: average pooling of [N, C, H, W] to [N, C, output_size[0], output_size[1]] whatever H and W are.</summary>
    public static unsafe Tensor adaptive_avg_pool2d(Tensor input, long[] output_size)
    {
        fixed (long* s = output_size) return Tensor.Wrap(rl_adaptive_avg_pool2d(input.H, s, out var o), o);
    }

    /// <summary><c>F.adaptive_avg_pool2d</c> to a square output; <c>adaptive_avg_pool2d(x, 1)</c> is global average pooling to [N, C, 1, 1].</summary>
    public static Tensor adaptive_avg_pool2d(Tensor input, long output_size) => adaptive_avg_pool2d(input, Pair(output_size));

    /// <summary><c>F.adaptive_max_pool2d</c>: max pooling of [N, C, H, W] to [N, C, output_size[0], output_size[1]] (values only).</summary>
    public static unsafe Tensor adaptive_max_pool2d(Tensor input, long[] output_size)
    {
        fixed (long* s = output_size) return Tensor.Wrap(rl_adaptive_max_pool2d(input.H, s, out var o), o);
    }

    /// <summary><c>F.adaptive_max_pool2d</c> to a square output.</summary>
    public static Tensor adaptive_max_pool2d(Tensor input, long output_size) => adaptive_max_pool2d(input, Pair(output_size));

    // ---- resampling ----

    /// <summary>
    /// Resizes [N, C, H, W] to <paramref name="size"/> or by <paramref name="scale_factor"/>; mode nearest,
    /// bilinear or bicubic. <paramref name="antialias"/> (bilinear and bicubic) widens the filter when
    /// downscaling so every input pixel counts, as PIL and torchvision's Resize do.
    /// </summary>
    public static unsafe Tensor interpolate(Tensor input, long[]? size = null, double? scale_factor = null, string mode = "nearest",
        bool align_corners = false, bool antialias = false)
    {
        var m = mode switch
        {
            "nearest" => 0,
            "bilinear" => 1,
            "bicubic" => 2,
            _ => throw new ArgumentException($"interpolate: unsupported mode '{mode}' (nearest, bilinear, bicubic)"),
        };
        if ((size is null) == (scale_factor is null)) throw new ArgumentException("interpolate: give exactly one of size and scale_factor");
        if (antialias && m == 0) throw new ArgumentException("interpolate: antialias needs mode bilinear or bicubic");
        var shape = input.shape;
        size ??= [(long)Math.Floor(shape[2] * scale_factor!.Value), (long)Math.Floor(shape[3] * scale_factor.Value)];
        var scale = scale_factor ?? 0;
        fixed (long* s = size)
            return Tensor.Wrap(rl_upsample2d(input.H, s, scale, scale, m, m != 0 && align_corners ? 1 : 0, antialias ? 1 : 0, out var o), o);
    }

    /// <summary><c>F.affine_grid</c>: the sampling grid [N, H, W, 2] for the affine matrices <paramref name="theta"/> [N, 2, 3] and the output <paramref name="size"/> [N, C, H, W], in normalised coordinates [-1, 1]; feed it to <see cref="grid_sample"/>.</summary>
    public static unsafe Tensor affine_grid(Tensor theta, long[] size, bool align_corners = false)
    {
        fixed (long* s = size) return Tensor.Wrap(rl_affine_grid(theta.H, s, size.Length, align_corners ? 1 : 0, out var o), o);
    }

    /// <summary>Samples <paramref name="input"/> at <paramref name="grid"/>; mode bilinear|nearest, padding_mode zeros|border|reflection.</summary>
    public static Tensor grid_sample(Tensor input, Tensor grid, string mode = "bilinear", string padding_mode = "zeros", bool align_corners = false)
    {
        var m = mode switch { "bilinear" => 0, "nearest" => 1, _ => throw new ArgumentException($"grid_sample: unknown mode '{mode}'") };
        var p = padding_mode switch
        {
            "zeros" => 0,
            "border" => 1,
            "reflection" => 2,
            _ => throw new ArgumentException($"grid_sample: unknown padding_mode '{padding_mode}'"),
        };
        return Tensor.Wrap(rl_grid_sample(input.H, grid.H, m, p, align_corners ? 1 : 0, out var o), o);
    }

    /// <summary>Pads the last dimensions: <paramref name="pad"/> lists (left, right, top, bottom, ...) as in PyTorch.</summary>
    public static unsafe Tensor pad(Tensor input, long[] pad, string mode = "constant", double value = 0)
    {
        var m = mode switch
        {
            "constant" => 0,
            "reflect" => 1,
            "replicate" => 2,
            _ => throw new ArgumentException($"pad: unsupported mode '{mode}' (constant, reflect, replicate)"),
        };
        fixed (long* p = pad) return Tensor.Wrap(rl_pad(input.H, p, pad.Length, m, value, out var o), o);
    }

    // ---- activations ----

    /// <summary><c>F.relu</c>: <c>max(x, 0)</c> (no <c>inplace</c> flag: use <see cref="Tensor.relu_"/>).</summary>
    public static Tensor relu(Tensor x) => x.relu();
    /// <summary><c>F.leaky_relu</c>: <c>x</c> for positive x, <c>negative_slope · x</c> otherwise.</summary>
    public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => Tensor.Wrap(rl_leaky_relu(x.H, negative_slope, out var o), o);
    /// <summary><c>F.elu</c>: <c>x</c> for positive x, <c>alpha · (exp(x) - 1)</c> otherwise.</summary>
    public static Tensor elu(Tensor x, double alpha = 1) => Tensor.Wrap(rl_elu(x.H, alpha, out var o), o);
    /// <summary><c>F.gelu</c>: <c>x · Φ(x)</c>; <paramref name="approximate"/> <c>"tanh"</c> uses the tanh approximation, anything else the exact erf form.</summary>
    public static Tensor gelu(Tensor x, string approximate = "none") => Tensor.Wrap(rl_gelu(x.H, approximate == "tanh" ? 1 : 0, out var o), o);
    /// <summary><c>F.silu</c> (swish): <c>x · sigmoid(x)</c>.</summary>
    public static Tensor silu(Tensor x) => x.U(Tensor.Un.Silu);
    /// <summary><c>F.mish</c>: <c>x · tanh(softplus(x))</c>.</summary>
    public static Tensor mish(Tensor x) => x.U(Tensor.Un.Mish);
    /// <summary><c>F.hardswish</c>: <c>x · relu6(x + 3) / 6</c>.</summary>
    public static Tensor hardswish(Tensor x) => x.U(Tensor.Un.Hardswish);
    /// <summary><c>F.tanh</c>.</summary>
    public static Tensor tanh(Tensor x) => x.tanh();
    /// <summary><c>F.sigmoid</c>.</summary>
    public static Tensor sigmoid(Tensor x) => x.sigmoid();
    /// <summary><c>F.softplus</c>: <c>log(1 + exp(beta · x)) / beta</c>, linear above <paramref name="threshold"/>.</summary>
    public static Tensor softplus(Tensor x, double beta = 1, double threshold = 20) => Tensor.Wrap(rl_softplus(x.H, beta, threshold, out var o), o);
    /// <summary><c>F.hardtanh</c>: <c>x</c> clamped to [<paramref name="min_val"/>, <paramref name="max_val"/>].</summary>
    public static Tensor hardtanh(Tensor x, double min_val = -1, double max_val = 1) => Tensor.Wrap(rl_hardtanh(x.H, min_val, max_val, out var o), o);
    /// <summary><c>F.softmax</c> along <paramref name="dim"/> (required here, as PyTorch recommends; no <c>dtype</c> argument).</summary>
    public static Tensor softmax(Tensor x, long dim) => Tensor.Wrap(rl_softmax(x.H, dim, 0, out var o), o);
    /// <summary><c>F.log_softmax</c> along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor log_softmax(Tensor x, long dim) => Tensor.Wrap(rl_softmax(x.H, dim, 1, out var o), o);

    /// <summary>Divides by the <paramref name="p"/>-norm along <paramref name="dim"/>, never by less than <paramref name="eps"/>.</summary>
    public static Tensor normalize(Tensor x, double p = 2, long dim = 1, double eps = 1e-12)
    {
        using var n = x.norm(p, dim, keepdim: true);
        using var d = n.clamp_min(eps);
        using var e = d.expand_as(x);
        return x.div(e);
    }

    /// <summary><c>F.cosine_similarity</c>: <c>x1·x2 / max(‖x1‖·‖x2‖, eps)</c> along <paramref name="dim"/> (broadcasting); the dimension is removed.</summary>
    public static Tensor cosine_similarity(Tensor x1, Tensor x2, long dim = 1, double eps = 1e-8) =>
        Tensor.Wrap(rl_cosine_similarity(x1.H, x2.H, dim, eps, out var o), o);

    /// <summary><c>F.one_hot</c>: int64 class indices [...] to an int64 tensor [..., num_classes] (inferred from the largest label when -1). Convert with <see cref="Tensor.@float"/> for losses.</summary>
    public static Tensor one_hot(Tensor labels, long num_classes = -1) => Tensor.Wrap(rl_one_hot(labels.H, num_classes, out var o), o);

    // ---- losses ----

    /// <summary><c>F.mse_loss</c>: <c>(input - target)²</c> reduced by <paramref name="reduction"/>. The reduction is an enum (<see cref="Reduction"/>), not a string.</summary>
    public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(rl_mse_loss(input.H, target.H, (int)reduction, out var o), o);

    /// <summary><c>F.l1_loss</c>: <c>|input - target|</c> reduced by <paramref name="reduction"/>.</summary>
    public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(rl_l1_loss(input.H, target.H, (int)reduction, out var o), o);

    /// <summary><c>F.smooth_l1_loss</c> (Huber-like): quadratic below <paramref name="beta"/>, linear above, reduced by <paramref name="reduction"/>.</summary>
    public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1) =>
        Tensor.Wrap(rl_smooth_l1_loss(input.H, target.H, (int)reduction, beta, out var o), o);

    /// <summary><c>F.binary_cross_entropy</c> on probabilities <paramref name="input"/> in [0, 1] (after a sigmoid); prefer <see cref="binary_cross_entropy_with_logits"/> for stability.</summary>
    public static Tensor binary_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(rl_bce(input.H, target.H, Opt(weight), (int)reduction, out var o), o);

    /// <summary><c>F.binary_cross_entropy_with_logits</c>: sigmoid and binary cross-entropy in one stable step; <paramref name="pos_weight"/> weighs the positive term per class.</summary>
    public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Tensor? pos_weight = null,
        Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(rl_bce_with_logits(input.H, target.H, Opt(weight), Opt(pos_weight), (int)reduction, out var o), o);

    /// <summary>Cross-entropy over logits with class-index (int64) or class-probability targets.</summary>
    public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        long ignore_index = -100, double label_smoothing = 0) =>
        Tensor.Wrap(rl_cross_entropy(input.H, target.H, Opt(weight), (int)reduction, ignore_index, label_smoothing, out var o), o);

    /// <summary><c>F.nll_loss</c>: the negative log-likelihood of log-probabilities <paramref name="input"/> [N, C] at the int64 class indices <paramref name="target"/> [N]; targets equal to <paramref name="ignore_index"/> do not count.</summary>
    public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, long ignore_index = -100) =>
        Tensor.Wrap(rl_nll_loss(input.H, target.H, Opt(weight), (int)reduction, ignore_index, out var o), o);

    /// <summary>KL divergence with log-probability input; <paramref name="reduction"/> "batchmean" divides the sum by the batch size.</summary>
    public static Tensor kl_div(Tensor input, Tensor target, string reduction = "mean", bool log_target = false)
    {
        var r = reduction switch
        {
            "none" => Reduction.None,
            "mean" => Reduction.Mean,
            "sum" or "batchmean" => Reduction.Sum,
            _ => throw new ArgumentException($"kl_div: unknown reduction '{reduction}'"),
        };
        var loss = Tensor.Wrap(rl_kl_div(input.H, target.H, (int)r, log_target ? 1 : 0, out var o), o);
        if (reduction != "batchmean") return loss;
        using (loss) return loss.div((double)input.size(0));
    }
}
