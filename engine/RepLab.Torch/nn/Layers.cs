namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch.nn</c> layers, with PyTorch's parameter names, shapes and default initialisation.</summary>
public static partial class nn
{
    private static long[] Pair(long v) => [v, v];

    public sealed class Linear : Module
    {
        public readonly Tensor weight;
        public readonly Tensor? bias;

        public Linear(long in_features, long out_features, bool bias = true, Device? device = null)
        {
            weight = register_parameter("weight", torch.empty([out_features, in_features], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_features], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
    }

    public sealed class Conv2d : Module
    {
        public readonly Tensor weight;
        public readonly Tensor? bias;
        private readonly long[] stride, padding, dilation;
        private readonly long groups;

        public Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1,
            long groups = 1, bool bias = true, Device? device = null)
        {
            (this.stride, this.padding, this.dilation, this.groups) = (Pair(stride), Pair(padding), Pair(dilation), groups);
            weight = register_parameter("weight", torch.empty([out_channels, in_channels / groups, kernel_size, kernel_size], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_channels], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        public override Tensor forward(Tensor input) => F.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    public sealed class ConvTranspose2d : Module
    {
        public readonly Tensor weight;
        public readonly Tensor? bias;
        private readonly long[] stride, padding, output_padding, dilation;
        private readonly long groups;

        public ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
            long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null)
        {
            (this.stride, this.padding, this.output_padding, this.dilation, this.groups) =
                (Pair(stride), Pair(padding), Pair(output_padding), Pair(dilation), groups);
            weight = register_parameter("weight", torch.empty([in_channels, out_channels / groups, kernel_size, kernel_size], device: device));
            this.bias = bias ? register_parameter("bias", torch.empty([out_channels], device: device)) : null;
            init.default_layer_(weight, this.bias);
        }

        public override Tensor forward(Tensor input) =>
            F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation);
    }

    /// <summary>Batch normalisation over (N, C) or (N, C, L) inputs (BatchNorm1d) or (N, C, H, W) inputs (BatchNorm2d).</summary>
    public class BatchNorm : Module
    {
        public readonly Tensor? weight, bias, running_mean, running_var, num_batches_tracked;
        public readonly double eps, momentum;
        private readonly int[] ranks;

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

    public sealed class BatchNorm1d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null)
        : BatchNorm(num_features, eps, momentum, affine, track_running_stats, [2, 3], device);

    public sealed class BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
        bool track_running_stats = true, Device? device = null)
        : BatchNorm(num_features, eps, momentum, affine, track_running_stats, [4], device);

    public sealed class GroupNorm : Module
    {
        public readonly Tensor? weight, bias;
        private readonly long groups;
        private readonly double eps;

        public GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true, Device? device = null)
        {
            if (num_channels % num_groups != 0) throw new ArgumentException("GroupNorm: num_channels must be divisible by num_groups");
            (groups, this.eps) = (num_groups, eps);
            if (!affine) return;
            weight = register_parameter("weight", torch.ones([num_channels], device: device));
            bias = register_parameter("bias", torch.zeros([num_channels], device: device));
        }

        public override Tensor forward(Tensor input) => F.group_norm(input, groups, weight, bias, eps);
    }

    public sealed class LayerNorm : Module
    {
        public readonly Tensor? weight, bias;
        private readonly long[] shape;
        private readonly double eps;

        public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null)
        {
            (shape, this.eps) = (normalized_shape, eps);
            if (!elementwise_affine) return;
            weight = register_parameter("weight", torch.ones(normalized_shape, device: device));
            bias = register_parameter("bias", torch.zeros(normalized_shape, device: device));
        }

        public LayerNorm(long normalized_shape, double eps = 1e-5) : this([normalized_shape], eps) { }

        public override Tensor forward(Tensor input) => F.layer_norm(input, shape, weight, bias, eps);
    }

    public sealed class Dropout(double p = 0.5) : Module
    {
        public override Tensor forward(Tensor input) => F.dropout(input, p, training);
    }

    public sealed class Dropout2d(double p = 0.5) : Module
    {
        public override Tensor forward(Tensor input) => F.dropout2d(input, p, training);
    }

    // ---- activations ----

    public sealed class ReLU : Module { public override Tensor forward(Tensor input) => input.relu(); }

    public sealed class LeakyReLU(double negative_slope = 0.01) : Module
    {
        public double negative_slope { get; } = negative_slope;

        public override Tensor forward(Tensor input) => F.leaky_relu(input, negative_slope);
    }

    public sealed class ELU(double alpha = 1) : Module { public override Tensor forward(Tensor input) => F.elu(input, alpha); }

    public sealed class GELU(string approximate = "none") : Module
    {
        public override Tensor forward(Tensor input) => F.gelu(input, approximate);
    }

    public sealed class SiLU : Module { public override Tensor forward(Tensor input) => F.silu(input); }

    public sealed class Tanh : Module { public override Tensor forward(Tensor input) => input.tanh(); }

    public sealed class Sigmoid : Module { public override Tensor forward(Tensor input) => input.sigmoid(); }

    public sealed class Softplus(double beta = 1, double threshold = 20) : Module
    {
        public override Tensor forward(Tensor input) => F.softplus(input, beta, threshold);
    }

    public sealed class Softmax(long dim) : Module { public override Tensor forward(Tensor input) => F.softmax(input, dim); }

    // ---- pooling, reshaping, resampling ----

    public sealed class MaxPool2d(long kernel_size, long? stride = null, long padding = 0) : Module
    {
        public override Tensor forward(Tensor input) => F.max_pool2d(input, kernel_size, stride, padding);
    }

    public sealed class AvgPool2d(long kernel_size, long? stride = null, long padding = 0) : Module
    {
        public override Tensor forward(Tensor input) => F.avg_pool2d(input, kernel_size, stride, padding);
    }

    public sealed class AdaptiveAvgPool2d(long output_size) : Module
    {
        public override Tensor forward(Tensor input) => F.adaptive_avg_pool2d(input, output_size);
    }

    public sealed class AdaptiveMaxPool2d(long output_size) : Module
    {
        public override Tensor forward(Tensor input) => F.adaptive_max_pool2d(input, output_size);
    }

    public sealed class Flatten(long start_dim = 1, long end_dim = -1) : Module
    {
        public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
    }

    /// <summary>Reshapes dimension <c>dim</c> into <c>sizes</c> (PyTorch's nn.Unflatten).</summary>
    public sealed class Unflatten(long dim, long[] sizes) : Module
    {
        public override Tensor forward(Tensor input)
        {
            var s = input.shape.ToList();
            var d = (int)(dim < 0 ? dim + s.Count : dim);
            s.RemoveAt(d);
            s.InsertRange(d, sizes);
            return input.reshape([.. s]);
        }
    }

    public sealed class Upsample(long[]? size = null, double? scale_factor = null, string mode = "nearest", bool align_corners = false) : Module
    {
        public override Tensor forward(Tensor input) => F.interpolate(input, size, scale_factor, mode, align_corners);
    }

    public sealed class Identity : Module { public override Tensor forward(Tensor input) => input.alias(); }

    /// <summary>Runs its children in order; children are named "0", "1", ... as in PyTorch.</summary>
    public sealed class Sequential : Module
    {
        private readonly List<Module> layers = [];

        public Sequential(params Module[] modules)
        {
            foreach (var m in modules) append(m);
        }

        public Sequential append(Module module)
        {
            register_module(layers.Count.ToString(), module);
            layers.Add(module);
            return this;
        }

        public int Count => layers.Count;

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
