using System.Runtime.InteropServices;

namespace RepLab.Tracking;

/// <summary>One GPU's memory (bytes) and utilization (percent; null when the device does not report it).</summary>
public readonly record struct GpuReading(ulong MemoryTotal, ulong MemoryUsed, uint? Utilization);

/// <summary>
/// The GPUs as NVIDIA's management library (NVML, <c>libnvidia-ml.so.1</c>, installed with the driver) reports
/// them, the source MLflow's GPU monitor reads through pynvml. Loaded at run time, so a machine without
/// the driver has no GPU metrics and nothing fails: <see cref="TryOpen"/> is null there.
/// </summary>
public sealed class NvmlGpu : IDisposable
{
    private const int Success = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total, Free, Used;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlUtilization
    {
        public uint Gpu, Memory;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int NoArguments();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DeviceCount(out uint count);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int HandleByIndex(uint index, out IntPtr device);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MemoryInfo(IntPtr device, out NvmlMemory memory);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int UtilizationRates(IntPtr device, out NvmlUtilization utilization);

    private readonly IntPtr library;
    private readonly NoArguments shutdown;
    private readonly MemoryInfo memoryInfo;
    private readonly UtilizationRates utilizationRates;
    private readonly IReadOnlyList<IntPtr> devices;
    private int disposed;

    private NvmlGpu(IntPtr library, NoArguments shutdown, MemoryInfo memoryInfo, UtilizationRates utilizationRates, IReadOnlyList<IntPtr> devices) =>
        (this.library, this.shutdown, this.memoryInfo, this.utilizationRates, this.devices) = (library, shutdown, memoryInfo, utilizationRates, devices);

    /// <summary>NVML's library file, as the driver installs it.</summary>
    public const string Library = "libnvidia-ml.so.1";

    /// <summary>How many GPUs NVML sees (MLflow logs every one, <c>gpu_0</c> to <c>gpu_{n-1}</c>).</summary>
    public int Count => devices.Count;

    /// <summary>
    /// NVML initialised with its GPUs, or null when <paramref name="library"/> does not load, lacks NVML's
    /// functions, or finds no GPU (no driver, no device): the run then logs no GPU metrics.
    /// </summary>
    public static NvmlGpu? TryOpen(string library = Library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return null;
        try
        {
            T Function<T>(string name) where T : Delegate =>
                NativeLibrary.TryGetExport(handle, name, out var address)
                    ? Marshal.GetDelegateForFunctionPointer<T>(address)
                    : throw new EntryPointNotFoundException(name);
            var init = Function<NoArguments>("nvmlInit_v2");
            var shutdown = Function<NoArguments>("nvmlShutdown");
            var count = Function<DeviceCount>("nvmlDeviceGetCount_v2");
            var byIndex = Function<HandleByIndex>("nvmlDeviceGetHandleByIndex_v2");
            var memory = Function<MemoryInfo>("nvmlDeviceGetMemoryInfo");
            var utilization = Function<UtilizationRates>("nvmlDeviceGetUtilizationRates");
            if (init() != Success) throw new EntryPointNotFoundException("nvmlInit_v2 failed");
            var devices = new List<IntPtr>();
            if (count(out var n) == Success)
                for (var i = 0u; i < n; i++)
                    if (byIndex(i, out var device) == Success) devices.Add(device);
            if (devices.Count > 0) return new NvmlGpu(handle, shutdown, memory, utilization, devices);
            shutdown();
        }
        catch (EntryPointNotFoundException)
        {
            // Not NVML, or NVML without a driver to talk to.
        }
        NativeLibrary.Free(handle);
        return null;
    }

    /// <summary>GPU <paramref name="index"/> now, or null when NVML cannot read its memory.</summary>
    public GpuReading? Read(int index)
    {
        if (memoryInfo(devices[index], out var memory) != Success || memory.Total == 0) return null;
        uint? busy = utilizationRates(devices[index], out var utilization) == Success ? utilization.Gpu : null;
        return new GpuReading(memory.Total, memory.Used, busy);
    }

    /// <summary>Shuts NVML down and unloads it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        shutdown();
        NativeLibrary.Free(library);
    }
}
