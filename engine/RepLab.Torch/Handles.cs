using System.Runtime.InteropServices;

namespace RepLab.Torch;

/// <summary>Owns one native tensor handle; frees it exactly once, also from the finalizer as a safety net.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long live;

    /// <summary>A handle that passes NULL to the shim, for optional tensor arguments.</summary>
    internal static readonly TensorHandle Null = new(IntPtr.Zero, owns: false);

    internal TensorHandle(IntPtr handle, bool owns = true) : base(IntPtr.Zero, owns)
    {
        SetHandle(handle);
        if (owns && handle != IntPtr.Zero) Interlocked.Increment(ref live);
    }

    /// <summary>Native tensor handles currently alive in this process.</summary>
    internal static long Live => Interlocked.Read(ref live);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.rl_free(handle);
        Interlocked.Decrement(ref live);
        return true;
    }
}

/// <summary>Owns one native object that one shim function frees; null-pointer handles are invalid and freed never.</summary>
internal abstract class OwnedHandle(bool owns) : SafeHandle(IntPtr.Zero, owns)
{
    public override bool IsInvalid => handle == IntPtr.Zero;

    protected abstract void Free(IntPtr native);

    protected override bool ReleaseHandle()
    {
        Free(handle);
        return true;
    }
}

internal sealed class GeneratorHandle : OwnedHandle
{
    internal static readonly GeneratorHandle Null = new(IntPtr.Zero, owns: false);

    internal GeneratorHandle(IntPtr handle, bool owns = true) : base(owns) => SetHandle(handle);

    protected override void Free(IntPtr native) => Native.rl_generator_free(native);
}

/// <summary>Owns one native c10d store (rl_store); the process groups made on it keep their own reference.</summary>
internal sealed class StoreHandle : OwnedHandle
{
    internal StoreHandle(IntPtr handle) : base(true) => SetHandle(handle);

    protected override void Free(IntPtr native) => Native.rl_store_free(native);
}

/// <summary>
/// Owns one reference to a native process group (rl_group). Releasing it closes the group's
/// communicator at once; autograd nodes of all_gather and all_reduce hold their own reference.
/// </summary>
internal sealed class GroupHandle : OwnedHandle
{
    internal GroupHandle(IntPtr handle) : base(true) => SetHandle(handle);

    protected override void Free(IntPtr native) => Native.rl_group_free(native);
}

/// <summary>An error raised inside libtorch, carrying libtorch's own message.</summary>
public sealed class TorchException(string message) : Exception(message);
