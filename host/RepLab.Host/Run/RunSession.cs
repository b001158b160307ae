using System.Globalization;
using System.Runtime.InteropServices;
using RepLab.Host.Experiment;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// What one run holds while it lives: its folder (locked), the signals that stop it, and one
/// fan-out tracker (the folder's records, then the MLflow store behind a <see cref="DegradingTracker"/>,
/// then any extra tracker) that every event of the run goes through.
/// </summary>
internal sealed class RunSession : IDisposable
{
    private readonly ExperimentSpec spec;
    private readonly RunFolder folder;
    private readonly CancellationTokenSource stop = new();
    private readonly List<IDisposable> owned = [];
    private readonly string trackingUri;
    private ITracker tracker = new AggregateTracker([]);

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

    /// <summary>Cancelled by SIGINT or SIGTERM.</summary>
    public CancellationToken Stopping => stop.Token;

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
            session.OpenTrackers(extraTrackers);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void OpenTrackers(IReadOnlyList<ITracker> extraTrackers)
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            owned.Add(PosixSignalRegistration.Create(signal, c => { c.Cancel = true; stop.Cancel(); }));
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
    }

    public void Tag(string key, string value) => tracker.Emit(new TagSet(DateTimeOffset.UtcNow, key, value));

    public void Tag(string key, long value) => Tag(key, value.ToString(CultureInfo.InvariantCulture));

    public void Artifact(string localPath, string artifactPath) => tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, localPath, artifactPath));

    public void End(RunStatus status, string? reason) => tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, status, reason));

    /// <summary>The last phase: the upload of the run's end. A signal cuts it short (the run itself stays as it ended); false then.</summary>
    public bool Complete() => tracker.Complete(stop.Token);

    /// <summary>A failed run: the whole trace to the folder's error log (the console gets one line, Cli/CliGuard), the end to the trackers.</summary>
    public void Fail(Exception e)
    {
        File.WriteAllText(Records.ErrorLog, $"{DateTimeOffset.UtcNow:u} {spec.Name} failed\n{e}\n");
        e.Data[ErrorLogKey] = Records.ErrorLog;
        End(RunStatus.Failed, e.Message);
    }

    /// <summary>Where a failed run's exception says its trace was written (<c>Exception.Data</c> key).</summary>
    internal const string ErrorLogKey = "replab.error-log";

    /// <summary>The flattened config with <c>tracking.uri</c> set to the URI the run actually uses (credentials hidden).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> WithTrackingUri(IReadOnlyList<KeyValuePair<string, string>> flat, string uri) =>
        flat.Where(p => p.Key != "tracking.uri").Append(new("tracking.uri", TrackingTarget.Display(uri))).ToList();

    public void Dispose()
    {
        for (var i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        stop.Dispose();
        folder.Dispose();
    }
}
