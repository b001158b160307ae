using System.Runtime.InteropServices;
using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch</c> namespace: creation, seeds, threads, devices and grad mode.</summary>
public static partial class torch
{
    public const ScalarType uint8 = ScalarType.UInt8;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int16 = ScalarType.Int16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>The libtorch version the shim was built against.</summary>
    public static string version => Marshal.PtrToStringUTF8(rl_version()) ?? "?";

    /// <summary>Native tensor handles alive in this process.</summary>
    public static long live_tensors => TensorHandle.Live;

    /// <summary>Include C++ backtraces in libtorch error messages.</summary>
    public static void set_backtrace(bool enabled) => rl_set_backtrace(enabled ? 1 : 0);

    public static void set_num_threads(int n) => Check(rl_set_num_threads(n));

    public static int get_num_threads() => rl_get_num_threads();

    /// <summary>Seeds the global CPU (and CUDA) generators: the same stream as PyTorch's <c>torch.manual_seed</c>.</summary>
    public static void manual_seed(ulong seed) => Check(rl_manual_seed(seed));

    public static Tensor get_rng_state() => Tensor.Wrap(rl_get_rng_state(out var o), o);

    public static void set_rng_state(Tensor state) => Check(rl_set_rng_state(state.H));

    public static class cuda
    {
        public static bool is_available() => rl_cuda_is_available() != 0;

        public static int device_count() => rl_cuda_device_count();

        public static void synchronize(int index = 0) => Check(rl_cuda_synchronize(index));

        /// <summary>The state of CUDA device <paramref name="index"/>'s default generator (PyTorch's <c>torch.cuda.get_rng_state</c>).</summary>
        public static Tensor get_rng_state(int index = 0) => Tensor.Wrap(rl_cuda_get_rng_state(index, out var o), o);

        /// <summary>Restores CUDA device <paramref name="index"/>'s default generator.</summary>
        public static void set_rng_state(Tensor state, int index = 0) => Check(rl_cuda_set_rng_state(index, state.H));
    }

    /// <summary>Opens a dispose scope on this thread; disposing it frees the tensors made inside.</summary>
    public static DisposeScope NewDisposeScope() => new();

    // ---- grad mode ----

    public static bool is_grad_enabled() => rl_is_grad_enabled() != 0;

    /// <summary>
    /// Disables gradient recording until disposed. Grad mode is per OS thread (libtorch's
    /// thread-local GradMode): it does not cover work started with Task.Run on another thread.
    /// </summary>
    public static GradModeScope no_grad() => new(false);

    public static GradModeScope enable_grad() => new(true);

    public readonly struct GradModeScope : IDisposable
    {
        private readonly int previous;

        internal GradModeScope(bool enabled) => previous = rl_set_grad_enabled(enabled ? 1 : 0);

        public void Dispose() => rl_set_grad_enabled(previous);
    }

    // ---- creation ----

    private static ScalarType Dt(ScalarType? dtype) => dtype ?? ScalarType.Float32;

    private static GeneratorHandle Gen(Generator? g) => g?.Handle ?? GeneratorHandle.Null;

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (1-D when omitted).</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[]? shape = null, ScalarType? dtype = null, Device? device = null)
        where T : unmanaged
    {
        shape ??= [data.Length];
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"tensor: {data.Length} values do not fill shape [{string.Join(", ", shape)}]");
        Tensor t;
        fixed (T* p = data)
        fixed (long* s = shape)
            t = Tensor.Wrap(rl_from_blob(p, s, shape.Length, (int)ScalarTypeExtensions.Of<T>(), out var o), o);
        if ((dtype is null || dtype == t.dtype) && (device is null || device == Device.CPU)) return t;
        using (t) return t.to(device ?? Device.CPU, dtype);
    }

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged =>
        tensor<T>(data.AsSpan(), shape.Length == 0 ? null : shape);

    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32) => tensor<double>([value], [], dtype);

    /// <summary>A tensor from raw little-endian element bytes (any dtype, bfloat16 and float16 included).</summary>
    public static unsafe Tensor from_bytes(ReadOnlySpan<byte> raw, ScalarType dtype, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count * dtype.ElementSize() != raw.Length)
            throw new ArgumentException($"from_bytes: {raw.Length} bytes do not hold [{string.Join(", ", shape)}] of {dtype}");
        fixed (byte* p = raw)
        fixed (long* s = shape)
            return Tensor.Wrap(rl_from_blob(p, s, shape.Length, (int)dtype, out var o), o);
    }

    public static unsafe Tensor empty(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(rl_empty(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    public static unsafe Tensor full(long[] shape, double value, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        var dt = Dt(dtype);
        fixed (long* s = shape)
            return Tensor.Wrap(rl_full(s, shape.Length, value, dt.IsFloatingPoint() ? 0 : 1, (int)dt, (int)d.Type, d.Index, out var o), o);
    }

    public static Tensor zeros(long[] shape, ScalarType? dtype = null, Device? device = null) => full(shape, 0, dtype, device);
    public static Tensor zeros(params long[] shape) => full(shape, 0);
    public static Tensor ones(long[] shape, ScalarType? dtype = null, Device? device = null) => full(shape, 1, dtype, device);
    public static Tensor ones(params long[] shape) => full(shape, 1);
    public static Tensor zeros_like(Tensor t) => full(t.shape, 0, t.dtype, t.device);
    public static Tensor ones_like(Tensor t) => full(t.shape, 1, t.dtype, t.device);
    public static Tensor full_like(Tensor t, double value) => full(t.shape, value, t.dtype, t.device);
    public static Tensor empty_like(Tensor t) => empty(t.shape, t.dtype, t.device);

    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_arange(start, end, step, (int)(dtype ?? ScalarType.Int64), (int)d.Type, d.Index, out var o), o);
    }

    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);

    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_linspace(start, end, steps, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    public static Tensor eye(long n, long? m = null, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_eye(n, m ?? n, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    public static unsafe Tensor rand(long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_rand(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    public static Tensor rand(params long[] shape) => rand(shape, null);

    public static unsafe Tensor randn(long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_randn(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    public static Tensor randn(params long[] shape) => randn(shape, null);

    public static unsafe Tensor randint(long low, long high, long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_randint(low, high, s, shape.Length, (int)(dtype ?? ScalarType.Int64), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    public static Tensor randperm(long n, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_randperm(n, (int)(dtype ?? ScalarType.Int64), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    /// <summary>Draws 0/1 with the probabilities in <paramref name="probs"/>.</summary>
    public static Tensor bernoulli(Tensor probs, Generator? generator = null) => Tensor.Wrap(rl_bernoulli(probs.H, Gen(generator), out var o), o);

    /// <summary>A tensor shaped like <paramref name="like"/> of 0/1 draws with probability <paramref name="p"/>.</summary>
    public static Tensor bernoulli(Tensor like, double p, Generator? generator = null) =>
        Tensor.Wrap(rl_bernoulli_p(like.H, p, Gen(generator), out var o), o);

    public static Tensor multinomial(Tensor probs, long num_samples, bool replacement = false, Generator? generator = null) =>
        Tensor.Wrap(rl_multinomial(probs.H, num_samples, replacement ? 1 : 0, Gen(generator), out var o), o);

    // ---- joining and functions of several tensors ----

    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        Tensor.WithHandles(tensors, raw => Tensor.Wrap(rl_cat((IntPtr*)raw, tensors.Count, dim, out var o), o));

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        Tensor.WithHandles(tensors, raw => Tensor.Wrap(rl_stack((IntPtr*)raw, tensors.Count, dim, out var o), o));

    public static unsafe Tensor einsum(string equation, params Tensor[] operands) =>
        Tensor.WithHandles(operands, raw => Tensor.Wrap(rl_einsum(equation, (IntPtr*)raw, operands.Length, out var o), o));

    public static Tensor where(Tensor condition, Tensor input, Tensor other) =>
        Tensor.Wrap(rl_where(condition.H, input.H, other.H, out var o), o);

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor exp(Tensor t) => t.exp();
    public static Tensor log(Tensor t) => t.log();
    public static Tensor sqrt(Tensor t) => t.sqrt();
    public static Tensor abs(Tensor t) => t.abs();
    public static Tensor sign(Tensor t) => t.sign();
    public static Tensor tanh(Tensor t) => t.tanh();
    public static Tensor sigmoid(Tensor t) => t.sigmoid();
    public static Tensor pow(Tensor t, double exponent) => t.pow(exponent);
    public static Tensor clamp(Tensor t, double? min = null, double? max = null) => t.clamp(min, max);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor logsumexp(Tensor t, long dim, bool keepdim = false) => t.logsumexp(dim, keepdim);
    public static bool allclose(Tensor a, Tensor b, double rtol = 1e-5, double atol = 1e-8) => a.allclose(b, rtol, atol);
    public static bool equal(Tensor a, Tensor b) => a.equal(b);
}
