namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch.nn</c> layers, with PyTorch's parameter names, shapes and default initialisation.</summary>
public static partial class nn
{
    private static long[] Pair(long v) => [v, v];

    /// <summary><c>nn.Linear</c>: <c>y = x · weightᵀ + bias</c> on [..., in_features] → [..., out_features]. Initialised as PyTorch does (Kaiming-uniform weight, uniform bias). The flag is <c>bias:</c> as in PyTorch (TorchSharp calls it <c>hasBias:</c>).</summary>
    public sealed class Linear : Module
    {
        /// <summary>The weight [out_features, in_features] (a registered parameter named <c>weight</c>).</summary>
        public readonly Tensor weight;
        /// <summary>The bias [out_features], or null when built with <c>bias: false</c>.</summary>
        public readonly Tensor? bias;

        /// <summary>A linear layer from <paramref name="in_features"/> to <paramref name="out_features"/>, with a bias unless <paramref name="bias"/> is false, its parameters created on <paramref name="device"/> (CPU by default).</summary>
        public Linear(long in_features, long out_features, bool bias = true, Device? device = null)
        {
            weight = register_parameter("weight", torch.empty([out_features, in_features], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_features], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        /// <summary><c>F.linear(input, weight, bias)</c>: [..., in_features] → [..., out_features].</summary>
        public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
    }

    /// <summary><c>nn.Conv2d</c>: 2-D convolution of [N, C_in, H, W] to [N, C_out, H_out, W_out] initialised as PyTorch does. The kernel, stride, padding and dilation are square (one number each; PyTorch also takes pairs); <c>padding_mode</c> and string paddings (<c>"same"</c>) are not bound.</summary>
    public sealed class Conv2d : Module
    {
        /// <summary>The kernel [out_channels, in_channels/groups, kernel_size, kernel_size].</summary>
        public readonly Tensor weight;
        /// <summary>The bias [out_channels], or null when built with <c>bias: false</c>.</summary>
        public readonly Tensor? bias;
        private readonly long[] kernel, strides, paddings, dilations;

        /// <summary>A convolution from <paramref name="in_channels"/> to <paramref name="out_channels"/> with a <paramref name="kernel_size"/>² kernel; the arguments keep PyTorch's names and order.</summary>
        public Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1,
            long groups = 1, bool bias = true, Device? device = null)
        {
            (kernel, strides, paddings, dilations, this.groups) = (Pair(kernel_size), Pair(stride), Pair(padding), Pair(dilation), groups);
            weight = register_parameter("weight", torch.empty([out_channels, in_channels / groups, kernel_size, kernel_size], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_channels], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        /// <summary>The kernel's (height, width), as PyTorch's <c>conv.kernel_size</c> (both the constructor's <c>kernel_size</c>).</summary>
        public IReadOnlyList<long> kernel_size => kernel;
        /// <summary>The step between windows along (height, width), as PyTorch's <c>conv.stride</c>.</summary>
        public IReadOnlyList<long> stride => strides;
        /// <summary>The zeros added on each side of (height, width), as PyTorch's <c>conv.padding</c>.</summary>
        public IReadOnlyList<long> padding => paddings;
        /// <summary>The spacing between kernel taps along (height, width), as PyTorch's <c>conv.dilation</c>.</summary>
        public IReadOnlyList<long> dilation => dilations;
        /// <summary>The number of channel groups (<c>conv.groups</c>): each output channel sees <c>in_channels / groups</c> input channels.</summary>
        public long groups { get; }

        /// <summary><see cref="F.conv2d(Tensor, Tensor, Tensor?, long, long, long, long)"/> with this layer's parameters: [N, C_in, H, W] → [N, C_out, H_out, W_out], H_out = ⌊(H + 2·padding - dilation·(k - 1) - 1)/stride⌋ + 1.</summary>
        public override Tensor forward(Tensor input) => F.conv2d(input, weight, bias, strides, paddings, dilations, groups);
    }

    /// <summary><c>nn.ConvTranspose2d</c>: transposed 2-D convolution of [N, C_in, H, W] to [N, C_out, H_out, W_out] with a square kernel; H_out = (H - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1. The arguments keep PyTorch's order (groups, bias, dilation after output_padding).</summary>
    public sealed class ConvTranspose2d : Module
    {
        /// <summary>The kernel [in_channels, out_channels/groups, kernel_size, kernel_size] (input channels first, as in PyTorch).</summary>
        public readonly Tensor weight;
        /// <summary>The bias [out_channels], or null when built with <c>bias: false</c>.</summary>
        public readonly Tensor? bias;
        private readonly long[] stride, padding, output_padding, dilation;
        private readonly long groups;

        /// <summary>A transposed convolution from <paramref name="in_channels"/> to <paramref name="out_channels"/> with a <paramref name="kernel_size"/>² kernel.</summary>
        public ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
            long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null)
        {
            (this.stride, this.padding, this.output_padding, this.dilation, this.groups) =
                (Pair(stride), Pair(padding), Pair(output_padding), Pair(dilation), groups);
            weight = register_parameter("weight", torch.empty([in_channels, out_channels / groups, kernel_size, kernel_size], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_channels], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        /// <summary><see cref="F.conv_transpose2d(Tensor, Tensor, Tensor?, long, long, long, long, long)"/> with this layer's parameters.</summary>
        public override Tensor forward(Tensor input) =>
            F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation);
    }

    /// <summary>Batch normalisation over (N, C) or (N, C, L) inputs (BatchNorm1d) or (N, C, H, W) inputs (BatchNorm2d).</summary>
    public class BatchNorm : Module
    {
        /// <summary>The affine scale and shift [num_features] (null without <c>affine</c>), the running mean and variance [num_features] and the int64 count of training batches (null without <c>track_running_stats</c>), with PyTorch's state-dict names.</summary>
        public readonly Tensor? weight, bias, running_mean, running_var, num_batches_tracked;
        /// <summary>The constant added to the variance, and the weight of each new batch in the running statistics (<c>running = (1 - momentum)·running + momentum·batch</c>, PyTorch's convention, not Keras's).</summary>
        public readonly double eps, momentum;
        private readonly int[] ranks;

        /// <summary>The parameters and buffers shared by <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>; <paramref name="ranks"/> lists the input ranks accepted.</summary>
        protected BatchNorm(long num_features, double eps, double momentum, bool affine, bool track_running_stats, int[] ranks, Device? device)
        {
            (this.eps, this.momentum, this.ranks) = (eps, momentum, ranks);
            if (affine)
            {
                weight = register_parameter("weight", torch.ones([num_features], device: device));
                bias = register_parameter("bias", torch.zeros([num_features], device: device));
            }
            if (track_running_stats)
            {
                running_mean = register_buffer("running_mean", torch.zeros([num_features], device: device));
                running_var = register_buffer("running_var", torch.ones([num_features], device: device));
                num_batches_tracked = register_buffer("num_batches_tracked", torch.zeros([], ScalarType.Int64, device));
            }
        }

        /// <summary>
        /// With a group, training-mode statistics span every rank's batch (PyTorch's SyncBatchNorm):
        /// <see cref="torch.distributed.sync_batch_norm"/>, one all-reduce per forward and one per backward, which
        /// every rank of the group must run. Evaluation, and no group, take the ordinary path.
        /// See <see cref="convert_sync_batchnorm{T}"/> to set it on a whole model.
        /// </summary>
        public torch.distributed.ProcessGroup? sync_group { get; set; }

        /// <summary>Normalises each channel (dimension 1): by the batch's statistics in training (updating the running ones), by the running statistics in evaluation (or the batch's when not tracked).</summary>
        public override Tensor forward(Tensor input) => forward(input, NormActivation.None);

        /// <summary>
        /// This batch norm followed by <paramref name="activation"/> in one kernel (<see cref="F.UseFusedBatchNorm"/>);
        /// <see cref="Sequential"/> calls it for a batch norm followed by a ReLU or LeakyReLU.
        /// </summary>
        public Tensor forward(Tensor input, NormActivation activation)
        {
            var rank = input.dim();
            if (!ranks.Contains(rank))
                throw new ArgumentException($"{GetType().Name}: expected a {string.Join(" or ", ranks)}-D input, got {rank}-D");
            var useBatchStats = training || running_mean is null;
            // An integer scalar: add_(1L) would bind to add_(double) and libtorch refuses a float scalar into this int64 buffer.
            if (training && num_batches_tracked is not null) num_batches_tracked.add_(1L);
            if (training && sync_group is { } group)
                return torch.distributed.sync_batch_norm(input, running_mean, running_var, weight, bias, momentum, eps, activation, group);
            return F.batch_norm(input, useBatchStats && !training ? null : running_mean, useBatchStats && !training ? null : running_var,
                weight, bias, useBatchStats, momentum, eps, activation);
        }
    }

    /// <summary>
    /// Sets <see cref="BatchNorm.sync_group"/> on every batch norm in <paramref name="module"/>'s tree (null turns
    /// synchronisation off again); returns the module. PyTorch's <c>SyncBatchNorm.convert_sync_batchnorm</c>, in place.
    /// </summary>
    public static T convert_sync_batchnorm<T>(this T module, torch.distributed.ProcessGroup? group) where T : Module
    {
        foreach (var (_, m) in module.named_modules())
            if (m is BatchNorm bn) bn.sync_group = group;
        return module;
    }

    /// <summary><c>nn.BatchNorm1d</c>: batch normalisation of [N, C] or [N, C, L] over N (and L).
    /// </summary>
    /// <param name="num_features">C, the number of channels.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Weight of each batch in the running statistics (PyTorch's convention).</param>
    /// <param name="affine">Learn a per-channel scale and shift.</param>
    /// <param name="track_running_stats">Keep running statistics for evaluation.</param>
    /// <param name="device">Where the parameters and buffers live.</param>
    public sealed class BatchNorm1d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null)
        : BatchNorm(num_features, eps, momentum, affine, track_running_stats, [2, 3], device);

    /// <summary><c>nn.BatchNorm2d</c>: batch normalisation of [N, C, H, W] over N, H and W, per channel.
    /// </summary>
    /// <param name="num_features">C, the number of channels.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Weight of each batch in the running statistics (PyTorch's convention).</param>
    /// <param name="affine">Learn a per-channel scale and shift.</param>
    /// <param name="track_running_stats">Keep running statistics for evaluation.</param>
    /// <param name="device">Where the parameters and buffers live.</param>
    public sealed class BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null)
        : BatchNorm(num_features, eps, momentum, affine, track_running_stats, [4], device);

    /// <summary><c>nn.GroupNorm</c>: normalises [N, C, ...] over groups of channels, independently of the batch size.</summary>
    public sealed class GroupNorm : Module
    {
        /// <summary>The per-channel scale (ones) and shift (zeros) [num_channels], or null without <c>affine</c>.</summary>
        public readonly Tensor? weight, bias;
        private readonly long groups;
        private readonly double eps;

        /// <paramref name="num_channels"/> split into <paramref name="num_groups"/> groups (it must divide them).
        public GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true, Device? device = null)
        {
            if (num_channels % num_groups != 0) throw new ArgumentException("GroupNorm: num_channels must be divisible by num_groups");
            (groups, this.eps) = (num_groups, eps);
            if (!affine) return;
            weight = register_parameter("weight", torch.ones([num_channels], device: device));
            bias = register_parameter("bias", torch.zeros([num_channels], device: device));
        }

        /// <summary><see cref="F.group_norm"/> with this layer's parameters; the shape is unchanged.</summary>
        public override Tensor forward(Tensor input) => F.group_norm(input, groups, weight, bias, eps);
    }

    /// <summary><c>nn.LayerNorm</c>: normalises over the trailing dimensions <c>normalized_shape</c> of each sample.</summary>
    public sealed class LayerNorm : Module
    {
        /// <summary>The elementwise scale (ones) and shift (zeros) shaped <c>normalized_shape</c>, or null without <c>elementwise_affine</c>.</summary>
        public readonly Tensor? weight, bias;
        private readonly long[] shape;
        private readonly double eps;

        /// <summary>Normalises over the trailing dimensions <paramref name="normalized_shape"/>.</summary>
        public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null)
        {
            (shape, this.eps) = (normalized_shape, eps);
            if (!elementwise_affine) return;
            weight = register_parameter("weight", torch.ones(normalized_shape, device: device));
            bias = register_parameter("bias", torch.zeros(normalized_shape, device: device));
        }

        /// <summary>Normalises over the last dimension, of size <paramref name="normalized_shape"/> (with an affine transform).</summary>
        public LayerNorm(long normalized_shape, double eps = 1e-5) : this([normalized_shape], eps) { }

        /// <summary><see cref="F.layer_norm"/> with this layer's parameters; the shape is unchanged.</summary>
        public override Tensor forward(Tensor input) => F.layer_norm(input, shape, weight, bias, eps);
    }

    /// <summary><c>nn.Dropout</c>: zeroes elements with probability <c>p</c> in training (scaling the rest by 1/(1-p)); the identity in evaluation.</summary>
    public sealed class Dropout(double p = 0.5) : Module
    {
        /// <summary><see cref="F.dropout"/> with this module's <see cref="Module.training"/> flag.</summary>
        public override Tensor forward(Tensor input) => F.dropout(input, p, training);
    }

    /// <summary><c>nn.Dropout2d</c>: zeroes whole channels of [N, C, H, W] with probability <c>p</c> in training.</summary>
    public sealed class Dropout2d(double p = 0.5) : Module
    {
        /// <summary><see cref="F.dropout2d"/> with this module's <see cref="Module.training"/> flag.</summary>
        public override Tensor forward(Tensor input) => F.dropout2d(input, p, training);
    }

    // ---- activations ----

    /// <summary><c>nn.ReLU</c>: <c>max(x, 0)</c>; no <c>inplace</c> flag. After a batch norm in a <see cref="Sequential"/> it is fused into it.</summary>
    public sealed class ReLU : Module
    {
        /// <summary><c>max(input, 0)</c>, any shape.</summary>
        public override Tensor forward(Tensor input) => input.relu();
    }

    /// <summary><c>nn.LeakyReLU</c>: <c>x</c> for positive x, <c>negative_slope · x</c> otherwise.</summary>
    public sealed class LeakyReLU(double negative_slope = 0.01) : Module
    {
        /// <summary>The slope for negative inputs.</summary>
        public double negative_slope { get; } = negative_slope;

        /// <summary><see cref="F.leaky_relu"/> with <see cref="negative_slope"/>, any shape.</summary>
        public override Tensor forward(Tensor input) => F.leaky_relu(input, negative_slope);
    }

    /// <summary><c>nn.ELU</c> with <c>alpha</c>.</summary>
    public sealed class ELU(double alpha = 1) : Module
    {
        /// <summary><see cref="F.elu"/>, any shape.</summary>
        public override Tensor forward(Tensor input) => F.elu(input, alpha);
    }

    /// <summary><c>nn.GELU</c>; <c>approximate</c> is <c>"none"</c> (exact) or <c>"tanh"</c>.</summary>
    public sealed class GELU(string approximate = "none") : Module
    {
        /// <summary><see cref="F.gelu"/>, any shape.</summary>
        public override Tensor forward(Tensor input) => F.gelu(input, approximate);
    }

    /// <summary><c>nn.SiLU</c> (swish): <c>x · sigmoid(x)</c>.</summary>
    public sealed class SiLU : Module
    {
        /// <summary><see cref="F.silu"/>, any shape.</summary>
        public override Tensor forward(Tensor input) => F.silu(input);
    }

    /// <summary><c>nn.Tanh</c>.</summary>
    public sealed class Tanh : Module
    {
        /// <summary><c>tanh(input)</c>, any shape.</summary>
        public override Tensor forward(Tensor input) => input.tanh();
    }

    /// <summary><c>nn.Sigmoid</c>.</summary>
    public sealed class Sigmoid : Module
    {
        /// <summary><c>sigmoid(input)</c>, any shape.</summary>
        public override Tensor forward(Tensor input) => input.sigmoid();
    }

    /// <summary><c>nn.Softplus</c> with <c>beta</c> and <c>threshold</c>.</summary>
    public sealed class Softplus(double beta = 1, double threshold = 20) : Module
    {
        /// <summary><see cref="F.softplus"/>, any shape.</summary>
        public override Tensor forward(Tensor input) => F.softplus(input, beta, threshold);
    }

    /// <summary><c>nn.Softmax</c> along <c>dim</c> (required).</summary>
    public sealed class Softmax(long dim) : Module
    {
        /// <summary><see cref="F.softmax"/> along this module's dimension.</summary>
        public override Tensor forward(Tensor input) => F.softmax(input, dim);
    }

    // ---- pooling, reshaping, resampling ----

    /// <summary><c>nn.MaxPool2d</c> with square windows: [N, C, H, W] → [N, C, H_out, W_out]; the stride defaults to the kernel size. No dilation, ceil_mode or return_indices here (see <see cref="F.max_pool2d(Tensor, long[], long[], long[], long[], bool)"/>).</summary>
    public sealed class MaxPool2d(long kernel_size, long? stride = null, long padding = 0) : Module
    {
        /// <summary>The side of the square window.</summary>
        public long kernel_size { get; } = kernel_size;
        /// <summary>The step between windows (the kernel size when built without one, as PyTorch stores it).</summary>
        public long stride { get; } = stride ?? kernel_size;
        /// <summary>The implicit negative-infinity padding on each side.</summary>
        public long padding { get; } = padding;

        /// <summary><see cref="F.max_pool2d(Tensor, long, long?, long)"/> with this module's window.</summary>
        public override Tensor forward(Tensor input) => F.max_pool2d(input, kernel_size, stride, padding);
    }

    /// <summary><c>nn.AvgPool2d</c> with square windows; the stride defaults to the kernel size.</summary>
    public sealed class AvgPool2d(long kernel_size, long? stride = null, long padding = 0) : Module
    {
        /// <summary>The side of the square window.</summary>
        public long kernel_size { get; } = kernel_size;
        /// <summary>The step between windows (the kernel size when built without one, as PyTorch stores it).</summary>
        public long stride { get; } = stride ?? kernel_size;
        /// <summary>The zero padding on each side, counted in the divisor (PyTorch's default <c>count_include_pad=True</c>).</summary>
        public long padding { get; } = padding;

        /// <summary><see cref="F.avg_pool2d(Tensor, long, long?, long)"/> with this module's window.</summary>
        public override Tensor forward(Tensor input) => F.avg_pool2d(input, kernel_size, stride, padding);
    }

    /// <summary><c>nn.AdaptiveAvgPool2d</c> to a square <c>output_size</c>: [N, C, H, W] → [N, C, s, s]. Tuple sizes: use <see cref="F.adaptive_avg_pool2d(Tensor, long[])"/>.</summary>
    public sealed class AdaptiveAvgPool2d(long output_size) : Module
    {
        /// <summary>The side of the square output.</summary>
        public long output_size { get; } = output_size;

        /// <summary>Average pools to this module's output size.</summary>
        public override Tensor forward(Tensor input) => F.adaptive_avg_pool2d(input, output_size);
    }

    /// <summary><c>nn.AdaptiveMaxPool2d</c> to a square <c>output_size</c> (values only).</summary>
    public sealed class AdaptiveMaxPool2d(long output_size) : Module
    {
        /// <summary>The side of the square output.</summary>
        public long output_size { get; } = output_size;

        /// <summary>Max pools to this module's output size.</summary>
        public override Tensor forward(Tensor input) => F.adaptive_max_pool2d(input, output_size);
    }

    /// <summary><c>nn.Flatten</c>: merges dimensions <c>start_dim</c>..<c>end_dim</c> (from 1, keeping the batch dimension, as in PyTorch).</summary>
    public sealed class Flatten(long start_dim = 1, long end_dim = -1) : Module
    {
        /// <summary>The first dimension merged.</summary>
        public long start_dim { get; } = start_dim;
        /// <summary>The last dimension merged (negative counts from the end).</summary>
        public long end_dim { get; } = end_dim;

        /// <summary><see cref="Tensor.flatten"/> with this module's dimensions: [N, C, H, W] → [N, C·H·W] by default.</summary>
        public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
    }

    /// <summary>Reshapes dimension <c>dim</c> into <c>sizes</c> (PyTorch's nn.Unflatten).</summary>
    public sealed class Unflatten(long dim, long[] sizes) : Module
    {
        /// <summary>Reshapes <c>dim</c> of <paramref name="input"/> into <c>sizes</c> (one entry may be -1).</summary>
        public override Tensor forward(Tensor input)
        {
            var s = input.shape.ToList();
            var d = (int)(dim < 0 ? dim + s.Count : dim);
            s.RemoveAt(d);
            s.InsertRange(d, sizes);
            return input.reshape([.. s]);
        }
    }

    /// <summary><c>nn.Upsample</c>: resizes [N, C, H, W] to <c>size</c> or by <c>scale_factor</c> (give exactly one); <c>mode</c> nearest, bilinear or bicubic.</summary>
    public sealed class Upsample(long[]? size = null, double? scale_factor = null, string mode = "nearest", bool align_corners = false) : Module
    {
        /// <summary><see cref="F.interpolate"/> with this module's settings.</summary>
        public override Tensor forward(Tensor input) => F.interpolate(input, size, scale_factor, mode, align_corners);
    }

    /// <summary><c>nn.Identity</c>: returns its input (as a new handle, which the caller owns like any result).</summary>
    public sealed class Identity : Module
    {
        /// <summary>A new handle to <paramref name="input"/> (no copy).</summary>
        public override Tensor forward(Tensor input) => input.alias();
    }

    /// <summary>Runs its children in order; children are named "0", "1", ... as in PyTorch.</summary>
    public sealed class Sequential : Module
    {
        private readonly List<Module> layers = [];

        /// <summary>A sequence of <paramref name="modules"/>, registered as children "0", "1", ... (PyTorch's <c>nn.Sequential(*modules)</c>; there is no <c>OrderedDict</c> form).</summary>
        public Sequential(params Module[] modules)
        {
            foreach (var m in modules) append(m);
        }

        /// <summary><c>Sequential.append</c>: adds <paramref name="module"/> at the end (named by its position); returns this sequence.</summary>
        public Sequential append(Module module)
        {
            register_module(layers.Count.ToString(), module);
            layers.Add(module);
            return this;
        }

        /// <summary>The number of layers (Python's <c>len(seq)</c>).</summary>
        public int Count => layers.Count;

        /// <summary>The layer at <paramref name="index"/> (Python's <c>seq[i]</c>; no slicing or negative indices).</summary>
        public Module this[int index] => layers[index];

        /// <summary>
        /// Runs every layer; intermediate results are freed as soon as the next layer has used them. A batch
        /// norm followed by a ReLU or LeakyReLU runs as one fused layer (<see cref="BatchNorm.forward(Tensor, NormActivation)"/>).
        /// </summary>
        public override Tensor forward(Tensor input)
        {
            var x = input;
            for (var i = 0; i < layers.Count; i++)
            {
                var activation = layers[i] is BatchNorm && i + 1 < layers.Count ? FusedActivation(layers[i + 1]) : null;
                var y = activation is { } a ? ((BatchNorm)layers[i++]).forward(x, a) : layers[i].forward(x);
                if (!ReferenceEquals(x, input)) x.Dispose();
                x = y;
            }
            return ReferenceEquals(x, input) ? input.alias() : x;
        }

        private static NormActivation? FusedActivation(Module next) => next switch
        {
            ReLU => NormActivation.ReLU,
            LeakyReLU l => NormActivation.LeakyReLU(l.negative_slope),
            _ => null,
        };
    }
}
