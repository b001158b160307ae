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

internal sealed class GeneratorHandle : SafeHandle
{
    internal static readonly GeneratorHandle Null = new(IntPtr.Zero, owns: false);

    internal GeneratorHandle(IntPtr handle, bool owns = true) : base(IntPtr.Zero, owns) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.rl_generator_free(handle);
        return true;
    }
}

/// <summary>Owns one native c10d store (rl_store); the process groups made on it keep their own reference.</summary>
internal sealed class StoreHandle : SafeHandle
{
    internal StoreHandle(IntPtr handle) : base(IntPtr.Zero, true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.rl_store_free(handle);
        return true;
    }
}

/// <summary>
/// Owns one reference to a native process group (rl_group). Releasing it closes the group's
/// communicator at once; autograd nodes of all_gather and all_reduce hold their own reference.
/// </summary>
internal sealed class GroupHandle : SafeHandle
{
    internal GroupHandle(IntPtr handle) : base(IntPtr.Zero, true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.rl_group_free(handle);
        return true;
    }
}

/// <summary>An error raised inside libtorch, carrying libtorch's own message.</summary>
public sealed class TorchException(string message) : Exception(message);
