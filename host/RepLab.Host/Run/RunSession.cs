using System.Globalization;
using System.Runtime.InteropServices;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// What one run holds while it lives: its folder (locked), the signals that stop it, and one
/// fan-out tracker (the folder's records, then the MLflow store behind a <see cref="DegradingTracker"/>,
/// then any extra tracker) that every event of the run goes through, the system-metrics sampler's from its
/// start to just before the run's end included. A signal or the run's time
/// limit cancels <see cref="Stopping"/>; a run that has not ended by itself <see cref="Grace"/> later
/// (a call that never returns, such as a read that blocks) is ended here: its end record, then exit.
/// </summary>
internal sealed class RunSession : IDisposable
{
    private readonly ExperimentSpec spec;
    private readonly RunFolder folder;
    private readonly CancellationTokenSource stop = new();
    private readonly List<IDisposable> owned = [];
    private readonly string trackingUri;
    private ITracker tracker = new AggregateTracker([]);
    private readonly Lock gate = new();
    private (RunStatus Status, string Reason) stopping = (RunStatus.Killed, "stopped by signal");
    private int ended;
    private SystemMetricsSampler? systemMetrics;

    private RunSession(ExperimentSpec spec, RunFolder folder)
    {
        (this.spec, this.folder) = (spec, folder);
        // MLFLOW_TRACKING_URI, as in MLflow, points any experiment at a server without editing it.
        trackingUri = TrackingTarget.ResolveUri(spec.Tracking.Uri);
    }

    public RunRecords Records => folder.Records;

    public bool Resumed => folder.Resumed;

    /// <summary>The folder holds a finished run of this config: nothing else is opened, the caller reports it.</summary>
    public bool AlreadyFinished => folder.AlreadyFinished;

    /// <summary>Cancelled by SIGINT or SIGTERM, or at the run's time limit.</summary>
    public CancellationToken Stopping => stop.Token;

    /// <summary>Why <see cref="Stopping"/> fired: <see cref="RunStatus.Killed"/> (a signal) or <see cref="RunStatus.TimedOut"/>, with the reason to record.</summary>
    public (RunStatus Status, string Reason) StoppedBy { get { lock (gate) return stopping; } }

    /// <summary>How long a stopped run gets to checkpoint and end by itself (REPLAB_STOP_GRACE, a duration such as 20 or 20s,
    /// which the local executor sets to its grace; default 20 s).</summary>
    public static TimeSpan Grace =>
        Duration.TryParse(Environment.GetEnvironmentVariable("REPLAB_STOP_GRACE"), out var grace) ? grace : TimeSpan.FromSeconds(20);

    /// <summary>The exit code of a run that ended with <paramref name="status"/>: 0 when it finished or stopped as planned, 124 at its time limit (as timeout(1)), 130 on a signal.</summary>
    public static int ExitCode(RunStatus status) => status switch
    {
        RunStatus.Finished or RunStatus.Stopped => 0,
        RunStatus.TimedOut => 124,
        RunStatus.Killed => 130,
        _ => 1,
    };

    /// <summary>The run's one tracker: every event goes here.</summary>
    public ITracker Tracker => tracker;

    /// <summary>Locks <paramref name="spec"/>'s folder and, unless it holds a finished run, catches the signals and opens the trackers.</summary>
    public static RunSession Open(ExperimentSpec spec, RunRequest request, IReadOnlyList<ITracker> extraTrackers)
    {
        var records = RunRecords.For(request.RunsRoot, spec.Name, spec.Config.ShortHash());
        var session = new RunSession(spec, RunFolder.Prepare(records, spec.Config.ToYaml(), request.Resume, request.Fresh));
        if (session.AlreadyFinished) return session;
        try
        {
            session.OpenTrackers(extraTrackers, request.TimeLimit);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The session of a rank other than 0 in a data-parallel run: the same signals and time limit, no lock
    /// and no tracker (rank 0 records the run); <paramref name="resumed"/> is rank 0's word.
    /// </summary>
    public static RunSession Follow(ExperimentSpec spec, RunRecords records, bool resumed, TimeSpan? timeLimit)
    {
        var session = new RunSession(spec, RunFolder.Follow(records, resumed)) { leader = false };
        session.CatchStops(timeLimit);
        return session;
    }

    /// <summary>Whether this session writes the run's records (false for ranks other than 0).</summary>
    private bool leader = true;

    private void CatchStops(TimeSpan? timeLimit)
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            owned.Add(PosixSignalRegistration.Create(signal, c => { c.Cancel = true; Stop(RunStatus.Killed, $"stopped by signal ({c.Signal})"); }));
        if (timeLimit is { } limit)
            owned.Add(new Timer(_ => Stop(RunStatus.TimedOut, $"time limit of {Duration.Text(limit)} reached"), null, limit, Timeout.InfiniteTimeSpan));
    }

    private void OpenTrackers(IReadOnlyList<ITracker> extraTrackers, TimeSpan? timeLimit)
    {
        CatchStops(timeLimit);
        var writer = Records.OpenWriter(append: Resumed);
        owned.Add(writer);
        var mlflow = TrackerFactory.Create(trackingUri);
        owned.Add(mlflow);
        // A store that cannot be written (a full disk) does not stop training: metrics.jsonl keeps the record.
        tracker = new AggregateTracker([writer, new DegradingTracker(mlflow, mlflow.Store.Root), .. extraTrackers]);
    }

    /// <summary>The run's start: identity, params and tags to every tracker, the config as an artifact, and the console line.</summary>
    public void Start(RunRequest request, Device device)
    {
        var tags = RunTags.Of(spec);
        if (request.ParentRunId is { Length: > 0 } parent) tags[TagNames.ParentRunId] = parent;
        tracker.Emit(new RunStarted(DateTimeOffset.UtcNow, spec.TrackingExperiment, request.RunName is { Length: > 0 } name ? name : spec.Name,
            spec.Config.Hash(), Records.Folder, Resumed, WithTrackingUri(spec.Config.Flatten(), trackingUri), tags));
        Artifact(Records.ConfigFile, RunRecords.ConfigArtifact);
        Console.WriteLine($"replab: {spec.Name} [{spec.Config.ShortHash()}] on {device}, {torch.get_num_threads()} threads, libtorch {torch.version}; run folder {Records.Folder}");
        systemMetrics = StartSystemMetrics(device);
    }

    /// <summary>
    /// The system-metrics sampler (<c>tracking.system-metrics</c>), into the run's tracker; a resumed run continues
    /// its step counter from the records. Only a leader gets here: rank 0 samples for a distributed run.
    /// </summary>
    private SystemMetricsSampler? StartSystemMetrics(Device device)
    {
        var options = spec.Tracking.SystemMetrics;
        if (!options.Enabled) return null;
        var firstStep = Resumed ? Records.Read().NextSystemStep : 0;
        return SystemMetricsSampler.Start(tracker, new SystemMetricsSettings(TimeSpan.FromSeconds(options.Interval), options.Samples), firstStep,
            gpus: device.Type == DeviceType.CUDA);
    }

    public void Tag(string key, string value) => tracker.Emit(new TagSet(DateTimeOffset.UtcNow, key, value));

    public void Tag(string key, long value) => Tag(key, value.ToString(CultureInfo.InvariantCulture));

    public void Artifact(string localPath, string artifactPath) => tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, localPath, artifactPath));

    /// <summary>The datasets this run has logged, by name and digest (its records' on a resume); null until the first are logged.</summary>
    private HashSet<(string Name, string Digest)>? datasets;

    /// <summary>
    /// Logs the datasets <paramref name="describe"/> yields but those the run logged before, by name and
    /// digest: a resumed run logs none twice, and a set that both trains and evaluates keeps its first
    /// context, as MLflow keeps it. Only the leader describes them (a hash of every image).
    /// </summary>
    public void Datasets(Func<IEnumerable<DatasetInput>> describe)
    {
        if (!leader) return;
        datasets ??= [.. Records.LoggedDatasets()];
        var fresh = describe().Where(d => datasets.Add(d.Identity)).ToList();
        if (fresh.Count > 0) tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, fresh));
    }

    /// <summary>The run's end record, once: after a stop the session may have ended the run already.</summary>
    public void End(RunStatus status, string? reason)
    {
        if (Interlocked.Exchange(ref ended, 1) != 0) return;
        systemMetrics?.Dispose();
        tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, status, reason));
    }

    /// <summary>Cancels <see cref="Stopping"/> for <paramref name="status"/> (the first reason wins) and gives the run <see cref="Grace"/> to end by itself.</summary>
    private void Stop(RunStatus status, string reason)
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested) return;
            stopping = (status, reason);
        }
        Console.Error.WriteLine($"replab: {reason}: stopping at the next step");
        stop.Cancel();
        owned.Add(new Timer(_ => EndNow(), null, Grace, Timeout.InfiniteTimeSpan));
    }

    /// <summary>The run did not end within <see cref="Grace"/> of its stop: its end is recorded here (the last checkpoint stands) and the process exits.</summary>
    private void EndNow()
    {
        var (status, reason) = StoppedBy;
        Console.Error.WriteLine($"replab: the run did not stop within {Duration.Text(Grace)} ({reason}): ended now; the last checkpoint stands, continue with --resume");
        // The trackers take one event at a time: a training thread stuck inside one (a store on a lost mount) holds
        // them, so the end is given a bounded wait and the process exits either way.
        var end = Task.Run(() => End(status, $"{reason}; ended {Duration.Text(Grace)} later without stopping by itself"));
        if (!end.Wait(TimeSpan.FromSeconds(5)))
            Console.Error.WriteLine("replab: the run's end could not be recorded within 5 s (a tracker is stuck); replab runs --repair marks it");
        Environment.Exit(ExitCode(status));
    }

    /// <summary>The last phase: the upload of the run's end. A signal cuts it short (the run itself stays as it ended); false then.</summary>
    public bool Complete() => tracker.Complete(stop.Token);

    /// <summary>A failed run: the whole trace to the folder's error log (the console gets one line, Cli/CliGuard), the end to the trackers.</summary>
    public void Fail(Exception e)
    {
        if (!leader) return;
        try
        {
            File.WriteAllText(Records.ErrorLog, $"{DateTimeOffset.UtcNow:u} {spec.Name} failed\n{e}\n");
            e.Data[ErrorLogKey] = Records.ErrorLog;
        }
        catch (Exception write) when (write is IOException or UnauthorizedAccessException)
        {
            // The folder cannot be written (the very failure, often): the console still gets e.
        }
        End(RunStatus.Failed, e.Message);
    }

    /// <summary>Where a failed run's exception says its trace was written (<c>Exception.Data</c> key).</summary>
    internal const string ErrorLogKey = "replab.error-log";

    /// <summary>The flattened config with <c>tracking.uri</c> set to the URI the run actually uses (credentials hidden).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> WithTrackingUri(IReadOnlyList<KeyValuePair<string, string>> flat, string uri) =>
        flat.Where(p => p.Key != "tracking.uri").Append(new("tracking.uri", TrackingTarget.Display(uri))).ToList();

    public void Dispose()
    {
        systemMetrics?.Dispose();
        for (var i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        stop.Dispose();
        folder.Dispose();
    }
}
