namespace RepLab.Tracking;

/// <summary>
/// How a run ended. The first four are MLflow's statuses with its codes; <see cref="Stopped"/> and
/// <see cref="TimedOut"/> are RepLab's own, kept in the run's records and shown as MLflow's KILLED
/// (<see cref="RunStatusNames.Mlflow"/>) with the reason in <c>replab.end_reason</c>.
/// </summary>
public enum RunStatus
{
    /// <summary>Still training (MLflow RUNNING = 1).</summary>
    Running = 1,

    /// <summary>Completed (MLflow FINISHED = 3).</summary>
    Finished = 3,

    /// <summary>Stopped by an error (MLflow FAILED = 4).</summary>
    Failed = 4,

    /// <summary>Stopped by the user: SIGINT or SIGTERM (MLflow KILLED = 5).</summary>
    Killed = 5,

    /// <summary>A planned stop, <c>--stop-after-steps</c>: checkpointed, to go on with <c>--resume</c> (MLflow KILLED).</summary>
    Stopped = 101,

    /// <summary>Stopped at its time limit (<c>--time-limit</c>, a sweep's <c>trial-timeout</c>): checkpointed when it could be (MLflow KILLED).</summary>
    TimedOut = 102,
}

/// <summary>How the statuses are shown and stored.</summary>
public static class RunStatusNames
{
    /// <summary>The MLflow status <paramref name="status"/> is stored and uploaded as (RepLab's own statuses are KILLED there).</summary>
    public static RunStatus Mlflow(this RunStatus status) => status is RunStatus.Stopped or RunStatus.TimedOut ? RunStatus.Killed : status;
}

/// <summary>Something a run reports; trackers receive these in order.</summary>
public abstract record TrackingEvent(DateTimeOffset Time);

/// <summary>A run begins (or resumes): its identity, the flattened resolved config and the tags.</summary>
public sealed record RunStarted(
    DateTimeOffset Time,
    string Experiment,
    string RunName,
    string ConfigHash,
    string RunDirectory,
    bool Resumed,
    IReadOnlyList<KeyValuePair<string, string>> Params,
    IReadOnlyDictionary<string, string> Tags) : TrackingEvent(Time);

/// <summary>One metric point.</summary>
/// <summary>
/// The run continues from a checkpoint taken at <paramref name="Step"/>: what an interrupted attempt
/// recorded for that step or later is superseded by what follows, so no step is recorded twice.
/// </summary>
public sealed record RunResumed(DateTimeOffset Time, long Step) : TrackingEvent(Time);

public sealed record MetricLogged(DateTimeOffset Time, string Key, double Value, long Step) : TrackingEvent(Time);

/// <summary>
/// One point of the system metrics (<see cref="SystemMetricNames"/>: MLflow's <c>system/</c> names): its own event,
/// not <see cref="MetricLogged"/>, because its step is the sampler's publish counter (0, 1, ...; a resumed run
/// continues it), not the training step that resumes supersede and deduplicate by.
/// </summary>
public sealed record SystemMetricsSampled(DateTimeOffset Time, IReadOnlyDictionary<string, double> Metrics, long Step) : TrackingEvent(Time);

/// <summary>A tag set or changed during the run.</summary>
public sealed record TagSet(DateTimeOffset Time, string Key, string Value) : TrackingEvent(Time);

/// <summary>A file to keep with the run: <paramref name="LocalPath"/> stored as <paramref name="ArtifactPath"/>.</summary>
public sealed record ArtifactLogged(DateTimeOffset Time, string LocalPath, string ArtifactPath) : TrackingEvent(Time);

/// <summary>Datasets the run used, each with its context (training or evaluation); logged once per run.</summary>
public sealed record DatasetsLogged(DateTimeOffset Time, IReadOnlyList<DatasetInput> Datasets) : TrackingEvent(Time);

/// <summary>The run ends with <paramref name="Status"/>.</summary>
public sealed record RunEnded(DateTimeOffset Time, RunStatus Status, string? Reason) : TrackingEvent(Time);

/// <summary>
/// Where run events go: the console, a JSON-lines file, an MLflow store. One method, like a
/// Serilog sink; the host fans every event out to each configured tracker. A tracker must not
/// throw for transient problems (a server outage): it buffers or records and carries on.
/// </summary>
public interface ITracker : IDisposable
{
    /// <summary>Receives one event.</summary>
    void Emit(TrackingEvent e);

    /// <summary>
    /// After the run's end: waits until what this tracker sends elsewhere (a server) has arrived, or
    /// <paramref name="interrupt"/> cuts the wait short; false then. A tracker that writes only
    /// locally is done at once.
    /// </summary>
    bool Complete(CancellationToken interrupt) => true;
}
