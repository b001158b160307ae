using RepLab.Abstractions;
using RepLab.Tracking;
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
/// <remarks>
/// In a data-parallel run (<paramref name="parallel"/>) every logged loss is the mean over ranks (each
/// rank's slice counts; a non-finite loss on one rank stops them all at once), and only rank 0 records
/// metrics and artifacts.
/// </remarks>
internal sealed class RunContext(Device device, ulong seed, TrainingPlan plan, ITracker tracker, string artifacts, CancellationToken stopping,
    Distributed.DataParallel? parallel = null) : IRunContext
{
    public IWorld World => (IWorld?)parallel ?? SingleProcess.World;

    /// <summary>Whether this process records the run (always, but for ranks other than 0 of a data-parallel run).</summary>
    public bool Records => parallel is null || parallel.Setup.IsLeader;

    /// <summary>The data-parallel runtime, or null with one process.</summary>
    public Distributed.DataParallel? Parallel => parallel;

    /// <summary>The latest value of every key logged during the current step (for the progress line).</summary>
    public Dictionary<string, double> StepLosses { get; } = [];

    public Device Device => device;

    public ulong Seed => seed;

    public TrainingPlan Plan => plan;

    public long GlobalStep { get; set; }

    public int Epoch { get; set; }

    /// <summary>Whether a training step is under way (values logged then are thinned to the log interval).</summary>
    private bool inStep;

    private bool recordingStep = true;

    public bool IsRecordingStep => !inStep || recordingStep;

    public CancellationToken Stopping => stopping;

    /// <summary>Enters training step <paramref name="step"/>; values logged until <see cref="EndStep"/> are kept only if <paramref name="recording"/>.</summary>
    public void BeginStep(long step, bool recording)
    {
        GlobalStep = step;
        (inStep, recordingStep) = (true, recording);
    }

    public void EndStep() => inStep = false;

    /// <summary>Sends a lifecycle event to the run's tracker.</summary>
    public void Emit(TrackingEvent e) => tracker.Emit(e);

    public void Log(string key, double value)
    {
        if (!IsRecordingStep) return;
        tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, key, value, GlobalStep));
    }

    public void LogLoss(string key, Tensor value)
    {
        var v = parallel is null ? value.item() : parallel.Mean(value);
        if (!double.IsFinite(v)) throw new NonFiniteLossException(key, GlobalStep, v);
        StepLosses[key] = v;
        Log(key, v);
    }

    public void SaveArtifact(string relativePath, ReadOnlySpan<byte> content)
    {
        if (!Records) return;
        var path = Path.GetFullPath(Path.Combine(artifacts, relativePath));
        if (!path.StartsWith(Path.GetFullPath(artifacts), StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{relativePath}' leaves the run's artifact folder");
        AtomicFile.Write(path, content);
        tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, path, relativePath));
    }
}
