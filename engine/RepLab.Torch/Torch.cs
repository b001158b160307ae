using System.Runtime.InteropServices;
using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch</c> namespace: creation, seeds, threads, devices and grad mode.</summary>
public static partial class torch
{
    /// <summary><c>torch.uint8</c>.</summary>
    public const ScalarType uint8 = ScalarType.UInt8;
    /// <summary><c>torch.int8</c>.</summary>
    public const ScalarType int8 = ScalarType.Int8;
    /// <summary><c>torch.int16</c>.</summary>
    public const ScalarType int16 = ScalarType.Int16;
    /// <summary><c>torch.int32</c>.</summary>
    public const ScalarType int32 = ScalarType.Int32;
    /// <summary><c>torch.int64</c> (PyTorch's <c>torch.long</c>, which has no alias here).</summary>
    public const ScalarType int64 = ScalarType.Int64;
    /// <summary><c>torch.float16</c> (<c>torch.half</c>).</summary>
    public const ScalarType float16 = ScalarType.Float16;
    /// <summary><c>torch.bfloat16</c>.</summary>
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    /// <summary><c>torch.float32</c> (PyTorch's <c>torch.float</c>, which has no alias here).</summary>
    public const ScalarType float32 = ScalarType.Float32;
    /// <summary><c>torch.float64</c> (<c>torch.double</c>).</summary>
    public const ScalarType float64 = ScalarType.Float64;
    /// <summary><c>torch.bool</c> (<c>torch.@bool</c> in C#).</summary>
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>The libtorch version the shim was built against.</summary>
    public static string version => Marshal.PtrToStringUTF8(rl_version()) ?? "?";

    /// <summary>Native tensor handles alive in this process.</summary>
    public static long live_tensors => TensorHandle.Live;

    /// <summary>Include C++ backtraces in libtorch error messages.</summary>
    public static void set_backtrace(bool enabled) => rl_set_backtrace(enabled ? 1 : 0);

    /// <summary><c>torch.set_num_threads</c>: the threads libtorch uses for intra-op parallelism on the CPU.</summary>
    public static void set_num_threads(int n) => Check(rl_set_num_threads(n));

    /// <summary><c>torch.get_num_threads</c>.</summary>
    public static int get_num_threads() => rl_get_num_threads();

    /// <summary>Seeds the global CPU (and CUDA) generators: the same stream as PyTorch's <c>torch.manual_seed</c>.</summary>
    public static void manual_seed(ulong seed) => Check(rl_manual_seed(seed));

    /// <summary><c>torch.get_rng_state</c>: the global CPU generator's state (a uint8 tensor), for checkpoints.</summary>
    public static Tensor get_rng_state() => Tensor.Wrap(rl_get_rng_state(out var o), o);

    /// <summary><c>torch.set_rng_state</c>: restores a state from <see cref="get_rng_state"/>.</summary>
    public static void set_rng_state(Tensor state) => Check(rl_set_rng_state(state.H));

    /// <summary><c>torch.cuda</c>: CUDA availability, synchronisation and generator state.</summary>
    public static class cuda
    {
        /// <summary><c>torch.cuda.is_available</c>: whether this libtorch has CUDA and a device is visible.</summary>
        public static bool is_available() => rl_cuda_is_available() != 0;

        /// <summary><c>torch.cuda.device_count</c>.</summary>
        public static int device_count() => rl_cuda_device_count();

        /// <summary><c>torch.cuda.synchronize</c>: waits for all work queued on device <paramref name="index"/> (use before timing).</summary>
        public static void synchronize(int index = 0) => Check(rl_cuda_synchronize(index));

        /// <summary>The state of CUDA device <paramref name="index"/>'s default generator (PyTorch's <c>torch.cuda.get_rng_state</c>).</summary>
        public static Tensor get_rng_state(int index = 0) => Tensor.Wrap(rl_cuda_get_rng_state(index, out var o), o);

        /// <summary>Restores CUDA device <paramref name="index"/>'s default generator.</summary>
        public static void set_rng_state(Tensor state, int index = 0) => Check(rl_cuda_set_rng_state(index, state.H));
    }

    /// <summary>Opens a dispose scope on this thread; disposing it frees the tensors made inside.</summary>
    public static DisposeScope NewDisposeScope() => new();

    // ---- grad mode ----

    /// <summary><c>torch.is_grad_enabled</c>: whether autograd records operations on this thread.</summary>
    public static bool is_grad_enabled() => rl_is_grad_enabled() != 0;

    /// <summary>
    /// Disables gradient recording until disposed. Grad mode is per OS thread (libtorch's
    /// thread-local GradMode): it does not cover work started with Task.Run on another thread.
    /// </summary>
    public static GradModeScope no_grad() => new(false);

    /// <summary><c>torch.enable_grad</c>: enables gradient recording until disposed (inside a <see cref="no_grad"/> block, for example). Use it with <c>using</c>: <c>using var _ = torch.enable_grad();</c>.</summary>
    public static GradModeScope enable_grad() => new(true);

    /// <summary>Restores the previous grad mode when disposed; returned by <see cref="no_grad"/> and <see cref="enable_grad"/>. PyTorch's context manager <c>with torch.no_grad():</c> is <c>using (torch.no_grad()) { ... }</c>.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        private readonly int previous;

        internal GradModeScope(bool enabled) => previous = rl_set_grad_enabled(enabled ? 1 : 0);

        /// <summary>Restores the grad mode that was in force when this scope was opened.</summary>
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

    /// <summary><c>torch.tensor</c> from a flat C# array, with the given <paramref name="shape"/> (1-D when none is given): <c>torch.tensor(new float[] {1, 2, 3, 4}, 2, 2)</c>. The dtype follows <typeparamref name="T"/> (float → float32, long → int64, ...). There is no nested-list form.</summary>
    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged =>
        tensor<T>(data.AsSpan(), shape.Length == 0 ? null : shape);

    /// <summary>A 0-d (scalar) tensor holding <paramref name="value"/>, float32 unless <paramref name="dtype"/> says otherwise.</summary>
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

    /// <summary><c>torch.empty</c>: uninitialised values of <paramref name="shape"/>; float32 on the CPU by default.</summary>
    public static unsafe Tensor empty(long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape) return Tensor.Wrap(rl_empty(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    /// <summary><c>torch.full</c>: every element <paramref name="value"/>. The dtype defaults to float32 even for an integral value (PyTorch infers int64 from an int fill value).</summary>
    public static unsafe Tensor full(long[] shape, double value, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        var dt = Dt(dtype);
        fixed (long* s = shape)
            return Tensor.Wrap(rl_full(s, shape.Length, value, dt.IsFloatingPoint() ? 0 : 1, (int)dt, (int)d.Type, d.Index, out var o), o);
    }

    /// <summary><c>torch.zeros</c> with a dtype and device (float32 on the CPU by default).</summary>
    public static Tensor zeros(long[] shape, ScalarType? dtype = null, Device? device = null) => full(shape, 0, dtype, device);
    /// <summary><c>torch.zeros(2, 3)</c>: float32 zeros on the CPU.</summary>
    public static Tensor zeros(params long[] shape) => full(shape, 0);
    /// <summary><c>torch.ones</c> with a dtype and device (float32 on the CPU by default).</summary>
    public static Tensor ones(long[] shape, ScalarType? dtype = null, Device? device = null) => full(shape, 1, dtype, device);
    /// <summary><c>torch.ones(2, 3)</c>: float32 ones on the CPU.</summary>
    public static Tensor ones(params long[] shape) => full(shape, 1);
    /// <summary><c>torch.zeros_like</c>: zeros with the shape, dtype and device of <paramref name="t"/> (no dtype override).</summary>
    public static Tensor zeros_like(Tensor t) => full(t.shape, 0, t.dtype, t.device);
    /// <summary><c>torch.ones_like</c>: ones with the shape, dtype and device of <paramref name="t"/>.</summary>
    public static Tensor ones_like(Tensor t) => full(t.shape, 1, t.dtype, t.device);
    /// <summary><c>torch.full_like</c>: <paramref name="value"/> with the shape, dtype and device of <paramref name="t"/>.</summary>
    public static Tensor full_like(Tensor t, double value) => full(t.shape, value, t.dtype, t.device);
    /// <summary><c>torch.empty_like</c>: uninitialised, with the shape, dtype and device of <paramref name="t"/>.</summary>
    public static Tensor empty_like(Tensor t) => empty(t.shape, t.dtype, t.device);

    /// <summary><c>torch.arange(start, end, step)</c>: values from <paramref name="start"/> up to (not including) <paramref name="end"/>. The dtype defaults to int64 even for fractional bounds (PyTorch infers float32 there): pass <c>dtype: torch.float32</c> for a float range.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_arange(start, end, step, (int)(dtype ?? ScalarType.Int64), (int)d.Type, d.Index, out var o), o);
    }

    /// <summary><c>torch.arange(end)</c>: 0, 1, ..., end - 1 as int64 unless <paramref name="dtype"/> says otherwise.</summary>
    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);

    /// <summary><c>torch.linspace</c>: <paramref name="steps"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/> inclusive (float32 by default).</summary>
    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_linspace(start, end, steps, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    /// <summary><c>torch.eye</c>: an <paramref name="n"/>×<paramref name="m"/> identity matrix (square when <paramref name="m"/> is null; float32 by default).</summary>
    public static Tensor eye(long n, long? m = null, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(rl_eye(n, m ?? n, (int)Dt(dtype), (int)d.Type, d.Index, out var o), o);
    }

    /// <summary><c>torch.rand</c>: uniform on [0, 1), float32 by default, from <paramref name="generator"/> or the global generator.</summary>
    public static unsafe Tensor rand(long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_rand(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    /// <summary><c>torch.rand(2, 3)</c>: float32 uniform on [0, 1) from the global generator.</summary>
    public static Tensor rand(params long[] shape) => rand(shape, null);

    /// <summary><c>torch.randn</c>: standard normal, float32 by default, from <paramref name="generator"/> or the global generator.</summary>
    public static unsafe Tensor randn(long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_randn(s, shape.Length, (int)Dt(dtype), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    /// <summary><c>torch.randn(2, 3)</c>: float32 standard normal from the global generator.</summary>
    public static Tensor randn(params long[] shape) => randn(shape, null);

    /// <summary><c>torch.randint(low, high, shape)</c>: integers uniform on [<paramref name="low"/>, <paramref name="high"/>), int64 by default. The <c>low</c> argument is required (PyTorch lets it default to 0).</summary>
    public static unsafe Tensor randint(long low, long high, long[] shape, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(rl_randint(low, high, s, shape.Length, (int)(dtype ?? ScalarType.Int64), (int)d.Type, d.Index, Gen(generator), out var o), o);
    }

    /// <summary><c>torch.randperm</c>: a random permutation of 0..<paramref name="n"/>-1 (int64 by default).</summary>
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

    /// <summary><c>torch.multinomial</c>: <paramref name="num_samples"/> int64 indices drawn from each row of the (unnormalised, non-negative) <paramref name="probs"/>.</summary>
    public static Tensor multinomial(Tensor probs, long num_samples, bool replacement = false, Generator? generator = null) =>
        Tensor.Wrap(rl_multinomial(probs.H, num_samples, replacement ? 1 : 0, Gen(generator), out var o), o);

    // ---- joining and functions of several tensors ----

    /// <summary><c>torch.cat</c>: the tensors joined along the existing dimension <paramref name="dim"/> (their other sizes must agree).</summary>
    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        Tensor.WithHandles(tensors, raw => Tensor.Wrap(rl_cat((IntPtr*)raw, tensors.Count, dim, out var o), o));

    /// <summary><c>torch.stack</c>: same-shaped tensors joined along a new dimension <paramref name="dim"/>.</summary>
    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        Tensor.WithHandles(tensors, raw => Tensor.Wrap(rl_stack((IntPtr*)raw, tensors.Count, dim, out var o), o));

    /// <summary><c>torch.einsum</c>: Einstein summation, e.g. <c>torch.einsum("nc,mc-&gt;nm", a, b)</c> for all dot products of rows.</summary>
    public static unsafe Tensor einsum(string equation, params Tensor[] operands) =>
        Tensor.WithHandles(operands, raw => Tensor.Wrap(rl_einsum(equation, (IntPtr*)raw, operands.Length, out var o), o));

    /// <summary><c>torch.where(condition, input, other)</c>: elements of <paramref name="input"/> where <paramref name="condition"/> is true, else of <paramref name="other"/> (broadcasting). The one-argument form (indices of non-zeros) is not bound.</summary>
    public static Tensor where(Tensor condition, Tensor input, Tensor other) =>
        Tensor.Wrap(rl_where(condition.H, input.H, other.H, out var o), o);

    /// <summary><c>torch.matmul</c>: see <see cref="Tensor.matmul"/>.</summary>
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    /// <summary><c>torch.mm</c>: see <see cref="Tensor.mm"/>.</summary>
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    /// <summary><c>torch.bmm</c>: see <see cref="Tensor.bmm"/>.</summary>
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    /// <summary><c>torch.exp</c>.</summary>
    public static Tensor exp(Tensor t) => t.exp();
    /// <summary><c>torch.log</c>.</summary>
    public static Tensor log(Tensor t) => t.log();
    /// <summary><c>torch.sqrt</c>.</summary>
    public static Tensor sqrt(Tensor t) => t.sqrt();
    /// <summary><c>torch.abs</c>.</summary>
    public static Tensor abs(Tensor t) => t.abs();
    /// <summary><c>torch.sign</c>.</summary>
    public static Tensor sign(Tensor t) => t.sign();
    /// <summary><c>torch.tanh</c>.</summary>
    public static Tensor tanh(Tensor t) => t.tanh();
    /// <summary><c>torch.sigmoid</c>.</summary>
    public static Tensor sigmoid(Tensor t) => t.sigmoid();
    /// <summary><c>torch.pow</c> with a scalar exponent.</summary>
    public static Tensor pow(Tensor t, double exponent) => t.pow(exponent);
    /// <summary><c>torch.clamp</c>: see <see cref="Tensor.clamp"/>.</summary>
    public static Tensor clamp(Tensor t, double? min = null, double? max = null) => t.clamp(min, max);
    /// <summary><c>torch.maximum</c>: elementwise larger value.</summary>
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    /// <summary><c>torch.minimum</c>: elementwise smaller value.</summary>
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    /// <summary><c>torch.logsumexp</c> along <paramref name="dim"/>.</summary>
    public static Tensor logsumexp(Tensor t, long dim, bool keepdim = false) => t.logsumexp(dim, keepdim);
    /// <summary><c>torch.allclose</c>: see <see cref="Tensor.allclose"/>.</summary>
    public static bool allclose(Tensor a, Tensor b, double rtol = 1e-5, double atol = 1e-8) => a.allclose(b, rtol, atol);
    /// <summary><c>torch.equal</c>: same shape and exactly the same elements.</summary>
    public static bool equal(Tensor a, Tensor b) => a.equal(b);
}
