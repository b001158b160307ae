using System.Reflection;

namespace RepLab.Tracking;

/// <summary>
/// The MLflow tracker: every event goes to the local file store first; when a server is
/// configured an <see cref="OfflineUploader"/> ships the run to it in the background. One run
/// per tracker (RunStarted, then metrics, tags and artifacts, then RunEnded); dispose it after
/// RunEnded to flush the upload. Params are redacted (<see cref="ParamRedaction"/>) here, so no
/// caller can forget it.
/// </summary>
public sealed class MlflowTracker : ITracker
{
    private readonly OfflineUploader? uploader;
    private LocalRun? run;

    public MlflowTracker(MlflowFileStore store, OfflineUploader? uploader = null)
    {
        Store = store;
        this.uploader = uploader;
        uploader?.Start();
    }

    public MlflowFileStore Store { get; }

    /// <summary>After a resume: the last step each metric of the store run already holds.</summary>
    private Dictionary<string, long>? recorded;

    /// <summary>The local run being written, once RunStarted arrived.</summary>
    public LocalRunInfo? Run => run?.Info;

    public void Emit(TrackingEvent e)
    {
        switch (e)
        {
            case RunStarted s:
                Start(s);
                break;
            case MetricLogged m:
                // A resumed run re-logs the steps its interrupted attempt logged after the checkpoint: the
                // store (and the server it feeds, which cannot delete points) keeps them once. Resuming is
                // bitwise, so the values are the same.
                if (recorded is not null && recorded.TryGetValue(MlflowNames.Sanitize(m.Key), out var last) && m.Step <= last) break;
                Current(e).LogMetric(m.Key, m.Value, m.Step, m.Time);
                break;
            case SystemMetricsSampled m:
                foreach (var (key, value) in m.Metrics) Current(e).LogMetric(key, value, m.Step, m.Time);
                break;
            case TagSet t:
                Current(e).SetTag(t.Key, t.Value);
                break;
            case RunResumed r:
                Current(e).SetTag(TagNames.ResumedAtStep, r.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
                recorded = MlflowFileStore.MetricKeys(run!.Directory).ToDictionary(k => k, k => MlflowFileStore.ReadMetric(run.Directory, k).Select(p => p.Step).DefaultIfEmpty(-1).Max());
                break;
            case ArtifactLogged a:
                Current(e).LogArtifact(a.LocalPath, a.ArtifactPath);
                break;
            case DatasetsLogged d:
                Current(e).LogInputs(d.Datasets);
                break;
            case RunEnded end:
                Current(e).End(end.Status.Mlflow(), end.Time);
                if (end.Reason is { Length: > 0 } reason) run!.SetTag(TagNames.EndReason, reason);
                uploader?.Nudge();
                break;
        }
    }

    private LocalRun Current(TrackingEvent e) =>
        run ?? throw new InvalidOperationException($"{e.GetType().Name} before RunStarted: the run lifecycle must emit RunStarted first");

    private void Start(RunStarted s)
    {
        if (run is not null) throw new InvalidOperationException("one MlflowTracker tracks one run; create another tracker for the next run");
        var experimentId = Store.EnsureExperiment(s.Experiment);
        var runDir = Path.GetFullPath(s.RunDirectory);
        var previous = s.Resumed
            ? Store.RunOfFolder(runDir, s.Experiment)
            : null;
        run = previous is not null ? LocalRun.Reopen(previous) : Store.CreateRun(experimentId, s.RunName, Environment.UserName, s.Time);
        foreach (var p in ParamRedaction.Redact(s.Params)) run.LogParam(p.Key, p.Value);
        foreach (var t in StandardTags(s, runDir)) run.SetTag(t.Key, t.Value);
        // The caller's tags win over the defaults (a git commit or user it knows better).
        foreach (var t in s.Tags) run.SetTag(t.Key, t.Value);
        uploader?.Watch(run.Directory);
        uploader?.Nudge();
    }

    /// <summary>The tags MLflow's UI uses for a run's name, source and user, and RepLab's own.</summary>
    public static IReadOnlyDictionary<string, string> StandardTags(RunStarted s, string runDirectory)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["mlflow.runName"] = s.RunName,
            ["mlflow.source.name"] = "replab",
            ["mlflow.source.type"] = "LOCAL",
            ["mlflow.user"] = Environment.UserName,
            [TagNames.ConfigHash] = s.ConfigHash,
            [TagNames.Version] = ReplabVersion,
            [TagNames.RunDirectory] = runDirectory,
        };
        if (GitInfo.TryCommit(Environment.CurrentDirectory) is { } commit) tags["mlflow.source.git.commit"] = commit;
        return tags;
    }

    /// <summary>The host's informational version (0.1.0+commit when built from git).</summary>
    public static string ReplabVersion { get; } =
        typeof(MlflowTracker).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(MlflowTracker).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Ships what the server still lacks of this run, until done, the flush limit or <paramref name="interrupt"/>; false when a signal cut it short.</summary>
    public bool Complete(CancellationToken interrupt) => uploader?.Finish(interrupt) ?? true;

    public void Dispose()
    {
        run?.Dispose();
        uploader?.Dispose();
    }
}

/// <summary>Reads the checked-out commit from <c>.git</c> without running git (a training box may not have it).</summary>
public static class GitInfo
{
    /// <summary>The commit of HEAD in the repository holding <paramref name="directory"/>, or null.</summary>
    public static string? TryCommit(string directory)
    {
        try
        {
            for (var d = new DirectoryInfo(directory); d is not null; d = d.Parent)
            {
                var dotGit = Path.Combine(d.FullName, ".git");
                string gitDir;
                if (Directory.Exists(dotGit)) gitDir = dotGit;
                else if (File.Exists(dotGit) && File.ReadAllText(dotGit).Trim() is var link && link.StartsWith("gitdir:", StringComparison.Ordinal))
                    gitDir = Path.GetFullPath(Path.Combine(d.FullName, link["gitdir:".Length..].Trim()));
                else continue;
                var head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
                if (!head.StartsWith("ref:", StringComparison.Ordinal)) return head;
                var refName = head["ref:".Length..].Trim();
                // A worktree keeps HEAD locally but refs in the common directory.
                var common = File.Exists(Path.Combine(gitDir, "commondir"))
                    ? Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(Path.Combine(gitDir, "commondir")).Trim()))
                    : gitDir;
                foreach (var dir in new[] { gitDir, common })
                    if (File.Exists(Path.Combine(dir, refName))) return File.ReadAllText(Path.Combine(dir, refName)).Trim();
                var packed = Path.Combine(common, "packed-refs");
                if (File.Exists(packed))
                    foreach (var line in File.ReadLines(packed))
                        if (line.EndsWith(" " + refName, StringComparison.Ordinal)) return line[..line.IndexOf(' ')];
                return null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
