using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>A loss term that became NaN or infinite; the run stops with this message.</summary>
public sealed class NonFiniteLossException(string key, long step, double value)
    : Exception($"loss term '{key}' is {value} at step {step}: training stopped (lower the learning rate, or check the data)")
{
    public string Key { get; } = key;

    public long Step { get; } = step;
}

/// <summary>The context the host hands to plugins: device, seed, step counters, and logging to every tracker.</summary>
internal sealed class RunContext(Device device, ulong seed, IReadOnlyList<ITracker> trackers, string artifacts, CancellationToken stopping) : IRunContext
{
    /// <summary>The latest value of every key logged during the current step (for the progress line).</summary>
    public Dictionary<string, double> StepLosses { get; } = [];

    public Device Device => device;

    public ulong Seed => seed;

    public long GlobalStep { get; set; }

    public int Epoch { get; set; }

    /// <summary>Training metrics are sent to trackers only on logging steps.</summary>
    public bool Recording { get; set; } = true;

    public CancellationToken Stopping => stopping;

    public void Log(string key, double value)
    {
        var e = new MetricLogged(DateTimeOffset.UtcNow, key, value, GlobalStep);
        foreach (var t in trackers) t.Emit(e);
    }

    public void LogLoss(string key, Tensor value)
    {
        var v = value.item();
        if (!double.IsFinite(v)) throw new NonFiniteLossException(key, GlobalStep, v);
        StepLosses[key] = v;
        if (Recording) Log(key, v);
    }

    public void SaveArtifact(string relativePath, ReadOnlySpan<byte> content)
    {
        var path = Path.GetFullPath(Path.Combine(artifacts, relativePath));
        if (!path.StartsWith(Path.GetFullPath(artifacts), StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{relativePath}' leaves the run's artifact folder");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content.ToArray());
        var e = new ArtifactLogged(DateTimeOffset.UtcNow, path, relativePath);
        foreach (var t in trackers) t.Emit(e);
    }
}
