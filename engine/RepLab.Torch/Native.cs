using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RepLab.Torch;

/// <summary>P/Invoke declarations of the native shim (engine/native/include/replab_torch.h).</summary>
internal static unsafe partial class Native
{
    internal const string Lib = "replab_torch";

    /// <summary>Environment variable naming the shim to load instead of the one beside this assembly.</summary>
    internal const string OverrideVariable = "REPLAB_NATIVE";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    /// <summary>Environment variable that turns the malloc tuning off when set to 0.</summary>
    internal const string MallocTuningVariable = "REPLAB_MALLOC_TUNING";

    /// <summary>
    /// Keeps freed tensor memory in the process (glibc): no mmap for large blocks and no trimming
    /// of the heap below 2 GiB free. By default glibc maps every block above 32 MiB (a CIFAR
    /// ResNet activation at batch 128 is 33.5 MB) and unmaps it on free, and trims the heap top;
    /// every training step then page-faults and zero-fills its activations afresh (ResNet-18,
    /// batch 128: about 0.5 M faults and 15% of the CPU time per step in the kernel).
    /// Resident memory stays at the peak of a step instead, as with a caching allocator.
    /// </summary>
    private static void TuneMalloc()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(MallocTuningVariable) == "0") return;
        const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
        try
        {
            mallopt(M_MMAP_MAX, 0);
            mallopt(M_TRIM_THRESHOLD, int.MaxValue);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): keep its defaults.
        }
    }

    // A library's module initializer, deliberately: the OpenMP and malloc settings must be in place
    // before libtorch is loaded, whichever of the engine's types is touched first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        TuneMalloc();
        // OpenMP reads OMP_WAIT_POLICY when libtorch loads; Environment.SetEnvironmentVariable
        // does not reach native getenv, so it goes through libc (ENGINE-NOTES, pitfall 3).
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
            setenv("OMP_WAIT_POLICY", "passive", 0);
        // Passive alone puts idle OpenMP threads to sleep at once, and waking them costs more than
        // the work of a small op (the augmentation pipeline ran 1.8x slower, and training spent a
        // third of its time in the kernel). A bounded spin first keeps the passive behaviour under
        // load: measured on the quickstart, 300 steps: passive 697-970 img/s, 28-33 s sys;
        // with 50,000 spins 1,022-1,040 img/s, 12 s sys. libgomp reads it with the policy.
        if (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is null)
            setenv("GOMP_SPINCOUNT", "50000", 0);
        // OpenBLAS (libtorch's matmuls) keeps its own threads beside OpenMP's, and an idle one spins on
        // sched_yield for 2^28 cycles by default, taking a core from oneDNN's convolutions and our kernels:
        // 11% of a SimCLR step's CPU time went to the kernel's scheduler. The shortest timeout (2^4
        // cycles) puts it to sleep at once; waking it costs microseconds per matmul. Measured on the
        // SimCLR bench step, batch 256, 2 threads: 0.52-0.57 CPU s/step before, 0.45-0.54 after.
        if (Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT") is null)
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
        // A libtorch built with MPI (Debian 13's 2.6) loads UCX, whose library constructor installs
        // handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE that print a backtrace and abort. .NET turns
        // SIGSEGV at a null reference into NullReferenceException; behind UCX's handler that became a
        // crash of the whole process ("Illegal instruction"). UCX reads this when it loads.
        if (Environment.GetEnvironmentVariable("UCX_HANDLE_ERRORS") is null)
            setenv("UCX_HANDLE_ERRORS", "none", 0);
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        var custom = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(custom)) return NativeLibrary.Load(custom);
        var beside = Path.Combine(AppContext.BaseDirectory, "libreplab_torch.so");
        if (File.Exists(beside)) return NativeLibrary.Load(beside);
        var local = Path.Combine(Path.GetDirectoryName(assembly.Location) ?? ".", "libreplab_torch.so");
        return File.Exists(local) ? NativeLibrary.Load(local) : IntPtr.Zero;
    }

    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(LastError());
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(rl_last_error()) ?? "unknown libtorch error";

    // ---- runtime ----
    [DllImport(Lib)] internal static extern IntPtr rl_last_error();
    [DllImport(Lib)] internal static extern void rl_set_backtrace(int enabled);
    [DllImport(Lib)] internal static extern IntPtr rl_version();
    [DllImport(Lib)] internal static extern int rl_set_num_threads(int n);
    [DllImport(Lib)] internal static extern int rl_get_num_threads();
    [DllImport(Lib)] internal static extern int rl_manual_seed(ulong seed);
    [DllImport(Lib)] internal static extern int rl_get_rng_state(out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_set_rng_state(TensorHandle state);
    [DllImport(Lib)] internal static extern int rl_generator_new(ulong seed, out IntPtr o);
    [DllImport(Lib)] internal static extern void rl_generator_free(IntPtr g);
    [DllImport(Lib)] internal static extern int rl_generator_get_state(GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_generator_set_state(GeneratorHandle g, TensorHandle state);
    [DllImport(Lib)] internal static extern int rl_cuda_is_available();
    [DllImport(Lib)] internal static extern int rl_cuda_device_count();
    [DllImport(Lib)] internal static extern int rl_cuda_synchronize(int index);
    [DllImport(Lib)] internal static extern int rl_cuda_get_rng_state(int index, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_cuda_set_rng_state(int index, TensorHandle state);

    // ---- lifecycle and properties ----
    [DllImport(Lib)] internal static extern void rl_free(IntPtr t);
    [DllImport(Lib)] internal static extern int rl_dim(TensorHandle t, out long o);
    [DllImport(Lib)] internal static extern int rl_shape(TensorHandle t, long* o);
    [DllImport(Lib)] internal static extern int rl_strides(TensorHandle t, long* o);
    [DllImport(Lib)] internal static extern int rl_dtype(TensorHandle t, out int o);
    [DllImport(Lib)] internal static extern int rl_device(TensorHandle t, out int type, out int index);
    [DllImport(Lib)] internal static extern int rl_numel(TensorHandle t, out long o);
    [DllImport(Lib)] internal static extern int rl_requires_grad(TensorHandle t, out int o);
    [DllImport(Lib)] internal static extern int rl_grad_fn_name(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_set_requires_grad(TensorHandle t, int v);
    [DllImport(Lib)] internal static extern int rl_is_leaf(TensorHandle t, out int o);
    [DllImport(Lib)] internal static extern int rl_is_contiguous(TensorHandle t, out int o);
    [DllImport(Lib)] internal static extern int rl_item(TensorHandle t, out double o);
    [DllImport(Lib)] internal static extern int rl_item_long(TensorHandle t, out long o);
    [DllImport(Lib)] internal static extern int rl_shares_storage(TensorHandle a, TensorHandle b, out int o);

    // ---- creation ----
    [DllImport(Lib)] internal static extern int rl_from_blob(void* data, long* shape, int ndim, int dtype, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_copy_to_host(TensorHandle t, void* dst, long nbytes);
    [DllImport(Lib)] internal static extern int rl_empty(long* shape, int ndim, int dtype, int dev, int idx, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_full(long* shape, int ndim, double v, int isInt, int dtype, int dev, int idx, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_arange(double start, double end, double step, int dtype, int dev, int idx, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_linspace(double start, double end, long steps, int dtype, int dev, int idx, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_eye(long n, long m, int dtype, int dev, int idx, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_rand(long* shape, int ndim, int dtype, int dev, int idx, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_randn(long* shape, int ndim, int dtype, int dev, int idx, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_randint(long low, long high, long* shape, int ndim, int dtype, int dev, int idx, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_randperm(long n, int dtype, int dev, int idx, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_uniform_(TensorHandle t, double from, double to, GeneratorHandle g);
    [DllImport(Lib)] internal static extern int rl_normal_(TensorHandle t, double mean, double std, GeneratorHandle g);
    [DllImport(Lib)] internal static extern int rl_bernoulli(TensorHandle probs, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_bernoulli_p(TensorHandle like, double p, GeneratorHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_multinomial(TensorHandle probs, long n, int replacement, GeneratorHandle g, out IntPtr o);

    // ---- conversion ----
    [DllImport(Lib)] internal static extern int rl_to(TensorHandle t, int dev, int idx, int dtype, int nonBlocking, int copy, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_contiguous(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_clone(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_detach(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_alias(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_copy_(TensorHandle dst, TensorHandle src);
    [DllImport(Lib)] internal static extern int rl_set_data(TensorHandle t, TensorHandle data);

    // ---- views and indexing ----
    [DllImport(Lib)] internal static extern int rl_reshape(TensorHandle t, long* shape, int ndim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_view(TensorHandle t, long* shape, int ndim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_permute(TensorHandle t, long* dims, int ndim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_transpose(TensorHandle t, long d0, long d1, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_narrow(TensorHandle t, long dim, long start, long length, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_slice(TensorHandle t, long dim, long start, long end, long step, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_select(TensorHandle t, long dim, long index, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_index_select(TensorHandle t, long dim, TensorHandle index, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_index(TensorHandle t, IntPtr* indices, int n, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_index_put_(TensorHandle t, IntPtr* indices, int n, TensorHandle values, int accumulate);
    [DllImport(Lib)] internal static extern int rl_masked_select(TensorHandle t, TensorHandle mask, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_gather(TensorHandle t, long dim, TensorHandle index, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle src, int add, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_scatter_(TensorHandle t, long dim, TensorHandle index, TensorHandle src, int add);
    [DllImport(Lib)] internal static extern int rl_masked_fill(TensorHandle t, TensorHandle mask, double v, int isInt, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_masked_fill_(TensorHandle t, TensorHandle mask, double v, int isInt);
    [DllImport(Lib)] internal static extern int rl_cat(IntPtr* ts, int n, long dim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_stack(IntPtr* ts, int n, long dim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_split(TensorHandle t, long size, long dim, IntPtr* outs, int capacity, out int count);
    [DllImport(Lib)] internal static extern int rl_split_sizes(TensorHandle t, long* sizes, int n, long dim, IntPtr* outs);
    [DllImport(Lib)] internal static extern int rl_chunk(TensorHandle t, long chunks, long dim, IntPtr* outs, int capacity, out int count);
    [DllImport(Lib)] internal static extern int rl_flip(TensorHandle t, long* dims, int n, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_roll(TensorHandle t, long* shifts, long* dims, int n, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_expand(TensorHandle t, long* shape, int ndim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_repeat(TensorHandle t, long* repeats, int ndim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_squeeze(TensorHandle t, long dim, int all, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_unsqueeze(TensorHandle t, long dim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_flatten(TensorHandle t, long start, long end, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_tril(TensorHandle t, long diagonal, int upper, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_diag(TensorHandle t, long diagonal, out IntPtr o);

    // ---- elementwise ----
    [DllImport(Lib)] internal static extern int rl_binary(int op, TensorHandle a, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_binary_(int op, TensorHandle a, TensorHandle b);
    [DllImport(Lib)] internal static extern int rl_binary_scalar(int op, TensorHandle a, double s, int isInt, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_binary_scalar_(int op, TensorHandle a, double s, int isInt);
    [DllImport(Lib)] internal static extern int rl_add_scaled(TensorHandle a, TensorHandle b, double alpha, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_add_scaled_(TensorHandle a, TensorHandle b, double alpha);
    [DllImport(Lib)] internal static extern int rl_unary(int op, TensorHandle a, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_unary_(int op, TensorHandle a);
    [DllImport(Lib)] internal static extern int rl_fill_(TensorHandle t, double v, int isInt);
    [DllImport(Lib)] internal static extern int rl_clamp(TensorHandle t, double min, double max, int hasMin, int hasMax, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_clamp_(TensorHandle t, double min, double max, int hasMin, int hasMax);
    [DllImport(Lib)] internal static extern int rl_where(TensorHandle c, TensorHandle a, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_lerp_(TensorHandle t, TensorHandle end, double weight);
    [DllImport(Lib)] internal static extern int rl_addcmul_(TensorHandle t, TensorHandle a, TensorHandle b, double v);
    [DllImport(Lib)] internal static extern int rl_addcdiv_(TensorHandle t, TensorHandle a, TensorHandle b, double v);
    [DllImport(Lib)] internal static extern int rl_addcmul(TensorHandle t, TensorHandle a, TensorHandle b, double v, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_addcdiv(TensorHandle t, TensorHandle a, TensorHandle b, double v, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_allclose(TensorHandle a, TensorHandle b, double rtol, double atol, out int o);
    [DllImport(Lib)] internal static extern int rl_equal(TensorHandle a, TensorHandle b, out int o);

    // ---- reductions ----
    [DllImport(Lib)] internal static extern int rl_reduce(int op, TensorHandle t, long* dims, int ndims, int keepdim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_var(TensorHandle t, long* dims, int ndims, long correction, int keepdim, int std, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_norm(TensorHandle t, double p, long* dims, int ndims, int keepdim, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_max_dim(TensorHandle t, long dim, int keepdim, int min, out IntPtr v, out IntPtr i);
    [DllImport(Lib)] internal static extern int rl_argmax(TensorHandle t, long dim, int hasDim, int keepdim, int min, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_topk(TensorHandle t, long k, long dim, int largest, int sorted, out IntPtr v, out IntPtr i);
    [DllImport(Lib)] internal static extern int rl_sort(TensorHandle t, long dim, int descending, out IntPtr v, out IntPtr i);
    [DllImport(Lib)] internal static extern int rl_cumsum(TensorHandle t, long dim, out IntPtr o);

    // ---- linear algebra ----
    [DllImport(Lib)] internal static extern int rl_matmul(TensorHandle a, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_mm(TensorHandle a, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_bmm(TensorHandle a, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_einsum([MarshalAs(UnmanagedType.LPUTF8Str)] string eq, IntPtr* ts, int n, out IntPtr o);

    // ---- nn ----
    [DllImport(Lib)] internal static extern int rl_conv2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* dilation, long groups, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_conv_transpose2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_conv_transpose2d_adjoint(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_linear(TensorHandle x, TensorHandle w, TensorHandle b, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_batch_norm(TensorHandle x, TensorHandle w, TensorHandle b, TensorHandle rm, TensorHandle rv, int training, double momentum, double eps, int act, double slope, int fused, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_group_norm(TensorHandle x, long groups, TensorHandle w, TensorHandle b, double eps, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_layer_norm(TensorHandle x, long* shape, int ndim, TensorHandle w, TensorHandle b, double eps, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_dropout(TensorHandle x, double p, int training, int feature, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_max_pool2d(TensorHandle x, long* k, long* s, long* p, long* d, int ceil, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_avg_pool2d(TensorHandle x, long* k, long* s, long* p, int ceil, int countIncludePad, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_adaptive_avg_pool2d(TensorHandle x, long* size, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_adaptive_max_pool2d(TensorHandle x, long* size, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_upsample2d(TensorHandle x, long* size, double scaleH, double scaleW, int mode, int alignCorners, int antialias, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_affine_grid(TensorHandle theta, long* size, int ndim, int alignCorners, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_grid_sample(TensorHandle x, TensorHandle grid, int mode, int padding, int alignCorners, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_color_jitter_(TensorHandle x, double* stages, long n);
    [DllImport(Lib)] internal static extern int rl_resample(TensorHandle x, long* iy, double* wy, long ky, long* ix, double* wx, long kx, long outH, long outW, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_sample_map(TensorHandle x, int op, double param, byte* apply, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_gaussian_blur(TensorHandle x, double* kernels, long radius, byte* apply, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_pad(TensorHandle x, long* pads, int n, int mode, double value, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_leaky_relu(TensorHandle x, double slope, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_elu(TensorHandle x, double alpha, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_gelu(TensorHandle x, int tanh, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_softplus(TensorHandle x, double beta, double threshold, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_hardtanh(TensorHandle x, double min, double max, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_softmax(TensorHandle x, long dim, int log, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_cosine_similarity(TensorHandle a, TensorHandle b, long dim, double eps, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_one_hot(TensorHandle t, long classes, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_mse_loss(TensorHandle x, TensorHandle y, int reduction, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_l1_loss(TensorHandle x, TensorHandle y, int reduction, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_smooth_l1_loss(TensorHandle x, TensorHandle y, int reduction, double beta, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_bce(TensorHandle x, TensorHandle y, TensorHandle w, int reduction, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_bce_with_logits(TensorHandle x, TensorHandle y, TensorHandle w, TensorHandle posWeight, int reduction, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_cross_entropy(TensorHandle x, TensorHandle y, TensorHandle w, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_nll_loss(TensorHandle x, TensorHandle y, TensorHandle w, int reduction, long ignoreIndex, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_kl_div(TensorHandle x, TensorHandle y, int reduction, int logTarget, out IntPtr o);

    // ---- autograd ----
    [DllImport(Lib)] internal static extern int rl_is_grad_enabled();
    [DllImport(Lib)] internal static extern int rl_set_grad_enabled(int enabled);
    [DllImport(Lib)] internal static extern int rl_backward(TensorHandle t, TensorHandle grad, int retain, int create);
    [DllImport(Lib)] internal static extern int rl_grad(TensorHandle t, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_set_grad(TensorHandle t, TensorHandle grad);
    [DllImport(Lib)] internal static extern int rl_autograd_grad(IntPtr* outputs, int nOut, IntPtr* gradOutputs, IntPtr* inputs, int nIn, int retain, int create, int allowUnused, IntPtr* grads);

    // ---- distributed (c10d) ----
    [DllImport(Lib)] internal static extern int rl_store_tcp([MarshalAs(UnmanagedType.LPUTF8Str)] string host, int port, int worldSize, int isServer, long timeoutMs, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_store_file([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int worldSize, long timeoutMs, out IntPtr o);
    [DllImport(Lib)] internal static extern void rl_store_free(IntPtr s);
    [DllImport(Lib)] internal static extern int rl_store_port(StoreHandle s, out int o);
    [DllImport(Lib)] internal static extern int rl_store_set(StoreHandle s, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, byte* data, long n);
    [DllImport(Lib)] internal static extern int rl_store_get(StoreHandle s, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, out byte* data, out long n);
    [DllImport(Lib)] internal static extern int rl_store_add(StoreHandle s, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, long delta, out long o);
    [DllImport(Lib)] internal static extern int rl_store_check(StoreHandle s, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, out int o);
    [DllImport(Lib)] internal static extern int rl_group_new(int backend, StoreHandle s, int rank, int worldSize, long timeoutMs, out IntPtr o);
    [DllImport(Lib)] internal static extern void rl_group_free(IntPtr g);
    [DllImport(Lib)] internal static extern int rl_group_allreduce(GroupHandle g, IntPtr* ts, int n, int op);
    [DllImport(Lib)] internal static extern int rl_group_broadcast(GroupHandle g, TensorHandle t, int root);
    [DllImport(Lib)] internal static extern int rl_group_allgather(GroupHandle g, TensorHandle t, IntPtr* outs);
    [DllImport(Lib)] internal static extern int rl_group_barrier(GroupHandle g);
    [DllImport(Lib)] internal static extern int rl_all_gather(TensorHandle x, GroupHandle g, out IntPtr o);
    [DllImport(Lib)] internal static extern int rl_all_reduce(TensorHandle x, GroupHandle g, out IntPtr o);
}
