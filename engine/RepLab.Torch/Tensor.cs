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

    public bool IsDisposed => H.IsClosed;

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

    public long[] stride()
    {
        Check(rl_dim(H, out var n));
        var s = new long[n];
        unsafe { fixed (long* p = s) Check(rl_strides(H, p)); }
        return s;
    }

    public long size(int dim)
    {
        var s = shape;
        return s[dim < 0 ? dim + s.Length : dim];
    }

    public int dim() => shape.Length;

    public long numel()
    {
        Check(rl_numel(H, out var n));
        return n;
    }

    public ScalarType dtype
    {
        get
        {
            Check(rl_dtype(H, out var d));
            return (ScalarType)d;
        }
    }

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

    public bool requires_grad
    {
        get
        {
            Check(rl_requires_grad(H, out var r));
            return r != 0;
        }
        set => Check(rl_set_requires_grad(H, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    public bool is_leaf
    {
        get
        {
            Check(rl_is_leaf(H, out var r));
            return r != 0;
        }
    }

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

    public double item()
    {
        Check(rl_item(H, out var v));
        return v;
    }

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

    public byte[] bytes()
    {
        var b = new byte[numel() * dtype.ElementSize()];
        CopyTo(b);
        return b;
    }

    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}, device={device})";

    // ---- conversion ----

    public Tensor to(Device device, ScalarType? dtype = null, bool non_blocking = false, bool copy = false) =>
        Wrap(rl_to(H, (int)device.Type, device.Index, dtype is null ? -1 : (int)dtype, non_blocking ? 1 : 0, copy ? 1 : 0, out var o), o);

    public Tensor to(ScalarType dtype) => Wrap(rl_to(H, -1, 0, (int)dtype, 0, 0, out var o), o);

    public Tensor cpu() => to(Device.CPU);

    public Tensor cuda(int index = 0) => to(Device.CUDA(index));

    public Tensor @float() => to(ScalarType.Float32);

    public Tensor @double() => to(ScalarType.Float64);

    public Tensor @long() => to(ScalarType.Int64);

    public Tensor contiguous() => Wrap(rl_contiguous(H, out var o), o);

    public Tensor clone() => Wrap(rl_clone(H, out var o), o);

    /// <summary>A new tensor sharing storage, cut from the autograd graph.</summary>
    public Tensor detach() => Wrap(rl_detach(H, out var o), o);

    /// <summary>A second handle to this same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => Wrap(rl_alias(H, out var o), o);

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
