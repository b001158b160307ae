using static RepLab.Tracking.SystemMetricNames;

namespace RepLab.Tracking;

/// <summary>
/// Reads one sample of the system metrics, MLflow's quantities from the sources psutil reads on Linux:
/// <c>/proc/stat</c> (CPU busy since the previous sample), <c>/proc/meminfo</c>, the root file system
/// (statvfs, through <see cref="DriveInfo"/>), <c>/proc/net/dev</c> (bytes since the probe was made) and,
/// given one, NVML's GPUs. A source that cannot be read or parsed leaves its metrics out of that sample;
/// nothing here throws.
/// </summary>
/// <param name="procRoot">The proc file system (tests point it at fixture files).</param>
/// <param name="diskPath">The file system whose usage is reported (MLflow's: the root).</param>
/// <param name="gpu">NVML's GPUs, when the run uses CUDA and NVML loads; the probe does not own it.</param>
public sealed class SystemProbe(string procRoot = "/proc", string diskPath = "/", NvmlGpu? gpu = null)
{
    private CpuTimes? cpu = Read(procRoot, "stat", ProcText.Cpu);
    private readonly NetworkBytes? network = Read(procRoot, "net/dev", ProcText.Network);

    /// <summary>One sample: metric name (without <see cref="SystemMetricNames.Prefix"/>) to value.</summary>
    public Dictionary<string, double> Sample()
    {
        var sample = new Dictionary<string, double>(StringComparer.Ordinal);
        if (Read(procRoot, "stat", ProcText.Cpu) is { } now)
        {
            if (cpu is { } before) sample[CpuUtilization] = before.PercentBusyUntil(now);
            cpu = now;
        }
        if (Read(procRoot, "meminfo", ProcText.Memory) is { } memory)
        {
            sample[MemoryUsage] = memory.Used / 1e6;
            sample[MemoryUsagePercent] = memory.Used * 100.0 / memory.Total;
        }
        Disk(sample);
        if (network is { } start && Read(procRoot, "net/dev", ProcText.Network) is { } net)
        {
            // Counters of an interface that went away (or wrapped) would go back: never below nothing sent.
            sample[NetworkReceive] = Math.Max(0, (double)net.Received - start.Received) / 1e6;
            sample[NetworkTransmit] = Math.Max(0, (double)net.Sent - start.Sent) / 1e6;
        }
        if (gpu is not null) Gpus(gpu, sample);
        return sample;
    }

    private static T? Read<T>(string root, string file, Func<string, T?> parse) where T : struct
    {
        try
        {
            return parse(File.ReadAllText(Path.Combine(root, file)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    private void Disk(Dictionary<string, double> sample)
    {
        try
        {
            var drive = new DriveInfo(diskPath);
            foreach (var (name, value) in DiskMetrics(drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace)) sample[name] = value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No such file system here: no disk metrics.
        }
    }

    /// <summary>
    /// psutil's <c>disk_usage</c> from statvfs's sizes in bytes: used = total − free (blocks in use), available =
    /// what unprivileged users may still write, percentage = used / (used + available) with one decimal.
    /// </summary>
    internal static IEnumerable<(string Name, double Value)> DiskMetrics(long total, long free, long available)
    {
        var used = total - free;
        yield return (DiskUsage, used / 1e6);
        yield return (DiskAvailable, available / 1e6);
        yield return (DiskUsagePercent, used + available > 0 ? Math.Round(used * 100.0 / (used + available), 1) : 0);
    }

    /// <summary>Each GPU as MLflow's GPU monitor reads it: memory percentage with one decimal, memory in megabytes, utilization.</summary>
    private static void Gpus(NvmlGpu gpu, Dictionary<string, double> sample)
    {
        for (var i = 0; i < gpu.Count; i++)
        {
            if (gpu.Read(i) is not { } reading) continue;
            sample[GpuMemoryUsagePercent(i)] = Math.Round(reading.MemoryUsed * 100.0 / reading.MemoryTotal, 1);
            sample[GpuMemoryUsage(i)] = reading.MemoryUsed / 1e6;
            if (reading.Utilization is { } busy) sample[GpuUtilization(i)] = busy;
        }
    }
}
