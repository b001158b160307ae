using System.Globalization;

namespace RepLab.Tracking;

/// <summary>CPU time since boot from <c>/proc/stat</c>, in clock ticks: the busy part and the total.</summary>
public readonly record struct CpuTimes(ulong Busy, ulong Total)
{
    /// <summary>
    /// The share of <paramref name="later"/> − this that the CPUs were busy, in percent with one decimal as
    /// psutil's <c>cpu_percent()</c> gives it (0 when no time passed).
    /// </summary>
    public double PercentBusyUntil(CpuTimes later)
    {
        // Counters can step back (steal and iowait on some virtual machines): no time, not a wrapped-around one.
        var total = later.Total > Total ? later.Total - Total : 0;
        var busy = later.Busy > Busy ? later.Busy - Busy : 0;
        return total == 0 ? 0 : Math.Round(Math.Min(busy, total) * 100.0 / total, 1);
    }
}

/// <summary>Memory from <c>/proc/meminfo</c>, in bytes (<see cref="Cached"/> includes <c>SReclaimable</c>, as psutil counts it).</summary>
public readonly record struct MemoryBytes(ulong Total, ulong Free, ulong Buffers, ulong Cached)
{
    /// <summary>
    /// Memory in use as psutil 5.9 (Debian 12's, under the MLflow whose monitor these names are) counts it:
    /// total − free − buffers − cached, or total − free when that comes out negative (some containers).
    /// </summary>
    public ulong Used => Free + Buffers + Cached <= Total ? Total - Free - Buffers - Cached : Total - Math.Min(Free, Total);
}

/// <summary>Bytes received and sent since boot, summed over every interface of <c>/proc/net/dev</c> (loopback included, as psutil sums them).</summary>
public readonly record struct NetworkBytes(ulong Received, ulong Sent);

/// <summary>
/// Parsers of the Linux files the system metrics read. Each takes the file's text and returns null when it
/// lacks what is needed (another kernel's layout), so the sampler skips that metric instead of failing.
/// </summary>
public static class ProcText
{
    /// <summary>
    /// The aggregate <c>cpu</c> line of <c>/proc/stat</c>: total = user + nice + system + idle + iowait + irq +
    /// softirq + steal (guest time is already inside user and nice), busy = total − idle − iowait (psutil's sums).
    /// </summary>
    public static CpuTimes? Cpu(string stat)
    {
        foreach (var line in Lines(stat))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0] != "cpu") continue;
            if (fields.Length < 5) return null;  // user, nice, system and idle at least; later kernels add the rest
            var ticks = new ulong[8];
            for (var i = 0; i < ticks.Length && i + 1 < fields.Length; i++)
                if (!ulong.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i])) return null;
            var total = ticks.Aggregate(0UL, (a, b) => a + b);
            return new CpuTimes(total - ticks[3] - ticks[4], total);
        }
        return null;
    }

    /// <summary><c>MemTotal</c>, <c>MemFree</c>, <c>Buffers</c>, <c>Cached</c> and <c>SReclaimable</c> of <c>/proc/meminfo</c> (kB there), in bytes.</summary>
    public static MemoryBytes? Memory(string meminfo)
    {
        var kb = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in Lines(meminfo))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon];
            if (key is not ("MemTotal" or "MemFree" or "Buffers" or "Cached" or "SReclaimable")) continue;
            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3];
            if (!ulong.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
            kb[key] = v;
        }
        if (kb.GetValueOrDefault("MemTotal") is 0 || !kb.TryGetValue("MemFree", out var free)) return null;
        return new MemoryBytes(kb["MemTotal"] * 1024, free * 1024, kb.GetValueOrDefault("Buffers") * 1024,
            (kb.GetValueOrDefault("Cached") + kb.GetValueOrDefault("SReclaimable")) * 1024);
    }

    /// <summary>
    /// The receive and transmit byte counters (the first and ninth numbers after the interface's colon)
    /// of every interface of <c>/proc/net/dev</c>, summed.
    /// </summary>
    public static NetworkBytes? Network(string netDev)
    {
        ulong received = 0, sent = 0;
        var interfaces = 0;
        foreach (var line in Lines(netDev))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;  // the two header lines
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9
                || !ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rx)
                || !ulong.TryParse(fields[8], NumberStyles.None, CultureInfo.InvariantCulture, out var tx))
                return null;
            (received, sent, interfaces) = (received + rx, sent + tx, interfaces + 1);
        }
        return interfaces > 0 ? new NetworkBytes(received, sent) : null;
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.Replace('\t', ' ').TrimEnd('\r'));
}
