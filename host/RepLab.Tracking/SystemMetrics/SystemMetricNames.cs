namespace RepLab.Tracking;

/// <summary>
/// The system metrics' names, MLflow's own (its <c>mlflow.system_metrics</c> monitors, 2.12), so MLflow's UI
/// shows them in its system-metrics charts: every name under <see cref="Prefix"/>.
/// </summary>
public static class SystemMetricNames
{
    /// <summary>MLflow's prefix of every system metric.</summary>
    public const string Prefix = "system/";

    /// <summary>Share of all CPUs busy since the previous sample, in percent.</summary>
    public const string CpuUtilization = "cpu_utilization_percentage";

    /// <summary>Memory in use (total less available), in megabytes (10^6 bytes), and as a percentage of the total.</summary>
    public const string MemoryUsage = "system_memory_usage_megabytes", MemoryUsagePercent = "system_memory_usage_percentage";

    /// <summary>The root file system: used and available to unprivileged users, in megabytes, and used as a percentage of the two.</summary>
    public const string DiskUsage = "disk_usage_megabytes", DiskAvailable = "disk_available_megabytes", DiskUsagePercent = "disk_usage_percentage";

    /// <summary>Bytes received and sent over every interface since the sampler started, in megabytes.</summary>
    public const string NetworkReceive = "network_receive_megabytes", NetworkTransmit = "network_transmit_megabytes";

    /// <summary>The names of a machine without a GPU (or a run that does not use one), in MLflow's order.</summary>
    public static IReadOnlyList<string> Host { get; } =
        [CpuUtilization, MemoryUsage, MemoryUsagePercent, DiskUsagePercent, DiskUsage, DiskAvailable, NetworkReceive, NetworkTransmit];

    /// <summary>GPU <paramref name="index"/>'s memory in use as a percentage of its memory.</summary>
    public static string GpuMemoryUsagePercent(int index) => $"gpu_{index}_memory_usage_percentage";

    /// <summary>GPU <paramref name="index"/>'s memory in use, in megabytes.</summary>
    public static string GpuMemoryUsage(int index) => $"gpu_{index}_memory_usage_megabytes";

    /// <summary>Share of the last sample period GPU <paramref name="index"/> ran a kernel, in percent (NVML's utilization rate).</summary>
    public static string GpuUtilization(int index) => $"gpu_{index}_utilization_percentage";

    /// <summary>
    /// Whether <paramref name="name"/> is a running total, published as its last value (MLflow's network
    /// monitor); every other metric is the mean of the samples since the previous point.
    /// </summary>
    public static bool IsCumulative(string name) => name is NetworkReceive or NetworkTransmit;
}
