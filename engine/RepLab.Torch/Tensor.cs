using System.Runtime.InteropServices;
using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>
/// A libtorch tensor. Methods keep PyTorch's names and semantics so method code reads
/// like the papers' reference code. Every result is a new tensor owned by the caller,
/// or by the innermost <see cref="DisposeScope"/> open on this thread.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    internal readonly TensorHandle H;
    internal DisposeScope? Scope;
    private long[]? shapeCache;

    internal Tensor(IntPtr handle)
    {
        H = new TensorHandle(handle);
        Scope = DisposeScope.Current;
        Scope?.Add(this);
    }

    /// <summary>Wraps a status and a fresh handle written by the same native call.</summary>
    internal static Tensor Wrap(int status, IntPtr handle)
    {
        Check(status);
        return new Tensor(handle);
    }

    internal static Tensor? WrapOptional(int status, IntPtr handle)
    {
        Check(status);
        return handle == IntPtr.Zero ? null : new Tensor(handle);
    }

    /// <summary>Native tensor handles alive in this process (for tests and diagnostics).</summary>
    public static long LiveHandles => TensorHandle.Live;

    /// <summary>Whether the native tensor has been freed (by <see cref="Dispose"/> or by its <see cref="DisposeScope"/>); any other call on a disposed tensor throws.</summary>
    public bool IsDisposed => H.IsClosed;

    /// <summary>Frees the native tensor now (idempotent). Views and other handles to the same storage stay valid: libtorch reference-counts the storage.</summary>
    public void Dispose() => H.Dispose();

    /// <summary>Keeps this tensor alive past the current scope: the next outer scope (if any) owns it.</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Scope?.Outer;
        Scope = outer;
        outer?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of every scope: the caller disposes it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope = null;
        return this;
    }

    // ---- properties ----

    /// <summary><c>Tensor.shape</c>: the sizes of the dimensions, outermost first (a fresh copy on each read; an empty array for a 0-d tensor). PyTorch's <c>torch.Size</c> is a <c>long[]</c> here.</summary>
    public long[] shape
    {
        get
        {
            if (shapeCache is not null) return (long[])shapeCache.Clone();
            Check(rl_dim(H, out var n));
            var s = new long[n];
            unsafe { fixed (long* p = s) Check(rl_shape(H, p)); }
            shapeCache = s;
            return (long[])s.Clone();
        }
    }

    /// <summary><c>Tensor.stride()</c>: the step in elements between neighbours along each dimension.</summary>
    public long[] stride()
    {
        Check(rl_dim(H, out var n));
        var s = new long[n];
        unsafe { fixed (long* p = s) Check(rl_strides(H, p)); }
        return s;
    }

    /// <summary><c>Tensor.size(dim)</c>: the size of dimension <paramref name="dim"/> (negative counts from the end). For all sizes use <see cref="shape"/> (there is no <c>size()</c> without an argument).</summary>
    public long size(int dim)
    {
        var s = shape;
        return s[dim < 0 ? dim + s.Length : dim];
    }

    /// <summary><c>Tensor.dim()</c>: the number of dimensions (0 for a scalar tensor).</summary>
    public int dim() => shape.Length;

    /// <summary><c>Tensor.numel()</c>: the number of elements.</summary>
    public long numel()
    {
        Check(rl_numel(H, out var n));
        return n;
    }

    /// <summary><c>Tensor.dtype</c>: the element type.</summary>
    public ScalarType dtype
    {
        get
        {
            Check(rl_dtype(H, out var d));
            return (ScalarType)d;
        }
    }

    /// <summary><c>Tensor.device</c>: where the elements live (<c>cpu</c> or <c>cuda:N</c>).</summary>
    public Device device
    {
        get
        {
            Check(rl_device(H, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    /// <summary>The name of the autograd node that computed this tensor (PyTorch's <c>grad_fn.name()</c>); null for a leaf or without grad.</summary>
    public string? grad_fn_name()
    {
        Check(rl_grad_fn_name(H, out var p));
        return p == IntPtr.Zero ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8(p);
    }

    /// <summary><c>Tensor.requires_grad</c>: whether autograd records operations on this tensor; settable on leaves.</summary>
    public bool requires_grad
    {
        get
        {
            Check(rl_requires_grad(H, out var r));
            return r != 0;
        }
        set => Check(rl_set_requires_grad(H, value ? 1 : 0));
    }

    /// <summary><c>Tensor.requires_grad_</c>: sets <see cref="requires_grad"/> in place; returns this tensor.</summary>
    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    /// <summary><c>Tensor.is_leaf</c>: true for tensors created by the user (not by a recorded operation); only leaves get <see cref="grad"/> filled by <see cref="backward"/>.</summary>
    public bool is_leaf
    {
        get
        {
            Check(rl_is_leaf(H, out var r));
            return r != 0;
        }
    }

    /// <summary><c>Tensor.is_contiguous()</c>: whether the elements are laid out densely in row-major order.</summary>
    public bool is_contiguous()
    {
        Check(rl_is_contiguous(H, out var r));
        return r != 0;
    }

    /// <summary>Whether both tensors view the same storage.</summary>
    public bool is_alias_of(Tensor other)
    {
        Check(rl_shares_storage(H, other.H, out var r));
        return r != 0;
    }

    /// <summary><c>Tensor.item()</c>: the value of a one-element tensor as a double (any dtype).</summary>
    public double item()
    {
        Check(rl_item(H, out var v));
        return v;
    }

    /// <summary><c>Tensor.item()</c> typed: the value of a one-element tensor as <typeparamref name="T"/> (<c>long</c>/<c>int</c> read the integer exactly; <c>float</c>, <c>double</c> and <c>bool</c> convert from a double).</summary>
    public T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int))
        {
            Check(rl_item_long(H, out var l));
            return typeof(T) == typeof(long) ? (T)(object)l : (T)(object)(int)l;
        }
        var d = item();
        return typeof(T) == typeof(float) ? (T)(object)(float)d
            : typeof(T) == typeof(bool) ? (T)(object)(d != 0)
            : (T)(object)d;
    }

    /// <summary>Copies the elements (row-major) to a new host array; the element type must match the dtype.</summary>
    public T[] data<T>() where T : unmanaged
    {
        var want = ScalarTypeExtensions.Of<T>();
        if (want != dtype) throw new InvalidOperationException($"tensor is {dtype}, not {want}");
        var result = new T[numel()];
        CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Copies the raw little-endian bytes of the elements (row-major) to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        unsafe
        {
            fixed (byte* p = destination) Check(rl_copy_to_host(H, p, destination.Length));
        }
    }

    /// <summary>The raw little-endian bytes of the elements in row-major order (<see cref="numel"/> × element size), e.g. for hashing or serialising.</summary>
    public byte[] bytes()
    {
        var b = new byte[numel() * dtype.ElementSize()];
        CopyTo(b);
        return b;
    }

    /// <summary>A summary such as <c>Tensor(shape=[2, 3], dtype=Float32, device=cpu)</c>; unlike PyTorch it never prints the values (use <see cref="data{T}"/>).</summary>
    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}, device={device})";

    // ---- conversion ----

    /// <summary><c>Tensor.to(device, dtype)</c>: this tensor on <paramref name="device"/>, converted to <paramref name="dtype"/> when given. Without <paramref name="copy"/> it may return a new handle to the same tensor when nothing changes. <paramref name="non_blocking"/> makes host-to-CUDA copies asynchronous (pinned memory).</summary>
    public Tensor to(Device device, ScalarType? dtype = null, bool non_blocking = false, bool copy = false) =>
        Wrap(rl_to(H, (int)device.Type, device.Index, dtype is null ? -1 : (int)dtype, non_blocking ? 1 : 0, copy ? 1 : 0, out var o), o);

    /// <summary><c>Tensor.to(dtype)</c>: converted to <paramref name="dtype"/> on the same device.</summary>
    public Tensor to(ScalarType dtype) => Wrap(rl_to(H, -1, 0, (int)dtype, 0, 0, out var o), o);

    /// <summary><c>Tensor.cpu()</c>: this tensor on the CPU.</summary>
    public Tensor cpu() => to(Device.CPU);

    /// <summary><c>Tensor.cuda()</c>: this tensor on CUDA device <paramref name="index"/> (needs a CUDA build of libtorch).</summary>
    public Tensor cuda(int index = 0) => to(Device.CUDA(index));

    /// <summary><c>Tensor.float()</c>: converted to float32 (<c>@float</c> in C# because <c>float</c> is a keyword).</summary>
    public Tensor @float() => to(ScalarType.Float32);

    /// <summary><c>Tensor.double()</c>: converted to float64.</summary>
    public Tensor @double() => to(ScalarType.Float64);

    /// <summary><c>Tensor.long()</c>: converted to int64.</summary>
    public Tensor @long() => to(ScalarType.Int64);

    /// <summary><c>Tensor.contiguous()</c>: a row-major dense tensor with the same values (a new handle to the same storage when already contiguous).</summary>
    public Tensor contiguous() => Wrap(rl_contiguous(H, out var o), o);

    /// <summary><c>Tensor.clone()</c>: a copy with its own storage; gradients flow back to this tensor.</summary>
    public Tensor clone() => Wrap(rl_clone(H, out var o), o);

    /// <summary>A new tensor sharing storage, cut from the autograd graph.</summary>
    public Tensor detach() => Wrap(rl_detach(H, out var o), o);

    /// <summary>A second handle to this same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => Wrap(rl_alias(H, out var o), o);

    /// <summary><c>Tensor.copy_</c>: copies the values of <paramref name="src"/> (broadcast, converted to this dtype and device) into this tensor; returns this tensor.</summary>
    public Tensor copy_(Tensor src)
    {
        Check(rl_copy_(H, src.H));
        return this;
    }

    /// <summary>Replaces the data under this tensor (device, dtype, shape) while keeping its autograd identity.</summary>
    public void set_data(Tensor data)
    {
        Check(rl_set_data(H, data.H));
        shapeCache = null;
    }

    // ---- autograd ----

    /// <summary>The accumulated gradient, or null before the first backward (a new handle each call).</summary>
    public Tensor? grad
    {
        get => WrapOptional(rl_grad(H, out var o), o);
        set => Check(rl_set_grad(H, value?.H ?? TensorHandle.Null));
    }

    /// <summary><c>Tensor.backward</c>: back-propagates from this tensor, accumulating into the <see cref="grad"/> of the leaves. <paramref name="gradient"/> is required unless this tensor has one element.</summary>
    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
        Check(rl_backward(H, gradient?.H ?? TensorHandle.Null, retain_graph ? 1 : 0, create_graph ? 1 : 0));

    // ---- helpers for lists of handles ----

    /// <summary>Runs <paramref name="call"/> with the raw handles of <paramref name="tensors"/> pinned and alive.</summary>
    internal static unsafe TResult WithHandles<TResult>(IReadOnlyList<Tensor?> tensors, Func<IntPtr, TResult> call)
    {
        var raw = stackalloc IntPtr[Math.Max(tensors.Count, 1)];
        var added = new bool[tensors.Count];
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                if (t is null) { raw[i] = IntPtr.Zero; continue; }
                t.H.DangerousAddRef(ref added[i]);
                raw[i] = t.H.DangerousGetHandle();
            }
            return call((IntPtr)raw);
        }
        finally
        {
            for (var i = 0; i < tensors.Count; i++)
                if (added[i]) tensors[i]!.H.DangerousRelease();
        }
    }
}
