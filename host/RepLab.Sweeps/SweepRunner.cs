using System.Diagnostics;
using System.Runtime.InteropServices;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Tracking;

namespace RepLab.Sweeps;

/// <summary>Command-line choices of <c>replab sweep</c>.</summary>
/// <param name="Executor">The executor plugin (default: <c>sweep.executor.plugin</c>, else local).</param>
/// <param name="Parallel">Trials at once (0: the executor's option).</param>
/// <param name="RetryFailed">Run failed trials again (from scratch).</param>
/// <param name="RunsRoot">The runs folder of the trials.</param>
public sealed record SweepRequest(string? Executor = null, int Parallel = 0, bool RetryFailed = false, string RunsRoot = "runs");

/// <summary>
/// Runs a sweep: skips finished trials (by config hash), resumes interrupted ones, leaves failed and
/// timed-out ones unless asked, waits for trials another live run holds (running elsewhere) and then
/// takes up what they left, hands the rest to the executor, shows the table, and records everything
/// in the tracking store as one parent run with a child run per trial, ending with the report.
/// </summary>
public sealed class SweepRunner(SweepPlan plan, ISweepHost host, SweepRequest request)
{
    private readonly Dictionary<int, TrialStatus> status = [];
    private readonly Dictionary<int, TrialUpdate> updates = [];
    private readonly Lock gate = new();

    /// <summary>What to do with each trial now, and why (<see cref="TrialDecision.Text"/>, for the dry run's table).</summary>
    public IReadOnlyList<TrialDecision> Decide(SweepState? state) =>
        plan.Trials.Select(t =>
        {
            var s = Current(t, state);
            var (action, text) = s.Outcome switch
            {
                TrialOutcome.Finished => (TrialAction.Skip, "skip (finished)"),
                TrialOutcome.Failed when !request.RetryFailed => (TrialAction.Skip, "skip (failed; --retry-failed runs it again)"),
                TrialOutcome.Failed => (TrialAction.RunAgain, "run again (fresh)"),
                TrialOutcome.TimedOut when !request.RetryFailed => (TrialAction.Skip, "skip (timed out; --retry-failed resumes it)"),
                // Handed to the executor all the same: a scheduler watches its own earlier submission; a new
                // process finds the folder held (exit 75) and the sweep waits for the holder, then takes up what it left.
                TrialOutcome.RunningElsewhere => (TrialAction.Resume, "resume (running elsewhere: waits for it)"),
                TrialOutcome.Interrupted or TrialOutcome.Running or TrialOutcome.TimedOut => (TrialAction.Resume, "resume"),
                _ => (TrialAction.Run, "run"),
            };
            return new TrialDecision(t, s, action, text);
        }).ToList();

    /// <summary>A trial's state from its run folder, with what the sweep recorded for trials that left none.</summary>
    internal static TrialStatus Current(SweepTrial t, SweepState? state)
    {
        var s = TrialStatus.Read(t.RunFolder);
        var recorded = state?.Trials.GetValueOrDefault(t.Id);
        if (s.Outcome is TrialOutcome.Running or TrialOutcome.Interrupted && recorded?.Outcome == TrialOutcome.TimedOut)
            return s with { Outcome = TrialOutcome.TimedOut, Error = recorded.Message ?? s.Error };  // stopped by the executor at its limit
        if (s.Outcome == TrialOutcome.Running)
            // No end record and no live holder: it was killed (a record saying it failed wins).
            return s with { Outcome = recorded?.Outcome is { } o && o.IsFailure() ? o : TrialOutcome.Interrupted, Error = recorded?.Message ?? s.Error };
        if (s.Outcome == TrialOutcome.Pending && recorded?.Outcome is TrialOutcome.Failed or TrialOutcome.Cancelled or TrialOutcome.TimedOut)
            return s with { Outcome = recorded.Outcome.Value, Error = recorded.Message };
        return s;
    }

    /// <summary>Runs the sweep; the exit code: 0 when every trial finished, 1 when any did not (failed, timed out, cancelled), 130 on a signal.</summary>
    public int Run()
    {
        Directory.CreateDirectory(plan.Folder);
        using var sweepLock = LockFolder(plan.Folder);
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var state = SweepState.Load(plan.Folder) ?? new SweepState();
        var decisions = Decide(state);
        var (executorName, executor) = host.Executor(plan.Definition.Executor, request.Executor);
        foreach (var d in decisions) status[d.Trial.Index] = d.Status;
        var toRun = decisions.Where(d => d.Action != TrialAction.Skip).ToList();
        int Count(TrialOutcome outcome, bool run) => decisions.Count(d => d.Status.Outcome == outcome && (d.Action != TrialAction.Skip) == run);
        var elsewhere = Count(TrialOutcome.RunningElsewhere, run: true);
        var waiting = new[] { (Count(TrialOutcome.TimedOut, run: false), "timed out and left"), (elsewhere, "running elsewhere") }.Where(c => c.Item1 > 0);
        Console.WriteLine($"replab: sweep {plan.Definition.Name}: {plan.Trials.Count} trials ({Count(TrialOutcome.Finished, run: false)} finished, " +
                          $"{Count(TrialOutcome.Failed, run: false)} failed and left, {string.Concat(waiting.Select(c => $"{c.Item1} {c.Item2}, "))}{toRun.Count - elsewhere} to run) " +
                          $"with executor {executorName}; folder {plan.Folder}");

        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var tracker = StartParent(state, startedAt);
        var launches = toRun.Select(d => Launch(d.Trial, d.Action, state.ParentRunId!)).ToList();
        try
        {
            Execute(executor, launches, state.ParentRunId!, startedAt, cts.Token);
        }
        catch (Exception e)
        {
            // The executor could not go on (sbatch refused, squeue unreachable): the sweep's record says so.
            state.Save(plan.Folder);
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Failed, $"executor {executorName}: {e.Message}"));
            throw;
        }
        try
        {
            return Finish(state, tracker, cts, clock);
        }
        catch (Exception e)
        {
            // The parent run never stays RUNNING behind a sweep that stopped.
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Failed, $"the sweep failed while writing its results: {e.Message}"));
            throw;
        }
    }

    /// <summary>
    /// Starts (or reopens: the same one across restarts of the sweep, found by its folder) the sweep's
    /// parent run with its definition, and records it and every trial in <paramref name="state"/>.
    /// </summary>
    private MlflowTracker StartParent(SweepState state, DateTimeOffset startedAt)
    {
        var tracker = TrackerFactory.Create(TrackingTarget.ResolveUri(plan.TrackingUri));
        var section = plan.Definition.Section;
        var definitionFile = Path.Combine(plan.Folder, "sweep.yaml");
        AtomicFile.Write(definitionFile, $"# the sweep of {plan.File}\n" + ConfigYaml.Write(new ConfigMap([new ConfigEntry("sweep", section.Location, section)], section.Location)));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ResolvedConfig.CanonicalJson(section))));
        tracker.Emit(new RunStarted(startedAt, plan.Trials[0].Experiment, plan.Definition.Name, hash, plan.Folder, state.ParentRunId is not null, [], SweepTags()));
        tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, definitionFile, "sweep.yaml"));
        (state.Name, state.File, state.Overrides) = (plan.Definition.Name, plan.File, plan.UserOverrides.ToList());
        state.RunsDir = Path.GetFullPath(request.RunsRoot);
        state.ParentRunId = tracker.Run!.RunId;
        foreach (var t in plan.Trials)
        {
            var entry = state.Trials.TryGetValue(t.Id, out var e) ? e : state.Trials[t.Id] = new SweepState.TrialEntry();
            (entry.Index, entry.Settings, entry.Overrides, entry.RunFolder) = (t.Index, t.Point.Describe(), t.Overrides.ToList(), t.RunFolder);
        }
        state.Save(plan.Folder);
        return tracker;
    }

    private TrialLaunch Launch(SweepTrial t, TrialAction action, string parent) => new(t.Index, t.Id, Arguments(t, action, parent), LogOf(t));

    /// <summary>
    /// Hands <paramref name="launches"/> to the executor while the table shows every trial's state, refreshed each second;
    /// then waits for the trials running elsewhere and hands on what they leave unfinished, until none is left or the sweep is stopped.
    /// </summary>
    private void Execute(ISweepExecutor executor, IReadOnlyList<TrialLaunch> launches, string parent, DateTimeOffset startedAt, CancellationToken stopping)
    {
        var (program, programArguments) = CliProgram.Command();
        var launch = new SweepLaunch(plan.Definition.Name, plan.Folder, program, programArguments, Environment.CurrentDirectory, launches,
            request.Parallel, Environment.ProcessorCount, plan.Definition.TrialTimeout);
        using var display = new SweepTable(plan, Metric()).Start(Snapshot);
        var refresher = new Thread(() => RefreshUntilDone(display, startedAt, stopping)) { IsBackground = true };
        refresher.Start();
        try
        {
            for (var round = launches; !stopping.IsCancellationRequested && (round.Count > 0 || AnyElsewhere()); round = AfterElsewhere(parent, display, stopping))
                if (round.Count > 0) executor.Execute(launch with { Trials = round }, u => OnUpdate(u, display), stopping);
        }
        finally
        {
            display.Done = true;
        }
        refresher.Join();
        Refresh(running: false);
        display.Update();
    }

    private bool AnyElsewhere()
    {
        lock (gate) return status.Values.Any(s => s.Outcome == TrialOutcome.RunningElsewhere);
    }

    /// <summary>
    /// Waits until no trial is held by a run elsewhere (or the sweep is stopped: they stay "running elsewhere"); the
    /// launches that resume what those runs left unfinished. A finished or failed one is taken as it is.
    /// </summary>
    private List<TrialLaunch> AfterElsewhere(string parent, SweepTable.Display display, CancellationToken stopping)
    {
        var resume = new List<TrialLaunch>();
        while (!stopping.IsCancellationRequested && AnyElsewhere())
        {
            foreach (var t in plan.Trials)
            {
                TrialStatus now;
                lock (gate)
                {
                    if (status[t.Index].Outcome != TrialOutcome.RunningElsewhere) continue;
                    now = TrialStatus.Read(t.RunFolder);
                    if (now.Outcome == TrialOutcome.RunningElsewhere) continue;
                    updates.Remove(t.Index);
                    status[t.Index] = now.Outcome.HasEnded() ? now : now with { Outcome = TrialOutcome.Pending };
                }
                if (status[t.Index].Outcome == TrialOutcome.Pending) resume.Add(Launch(t, TrialAction.Resume, parent));
            }
            display.Update();
            if (resume.Count > 0) break;
            stopping.WaitHandle.WaitOne(1000);
        }
        return resume;
    }

    /// <summary>The refresher thread: re-reads running trials each second and notes when the first trial's first step came.</summary>
    private void RefreshUntilDone(SweepTable.Display display, DateTimeOffset startedAt, CancellationToken stopping)
    {
        var processStart = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
        var firstStepReported = false;
        while (!stopping.IsCancellationRequested && !display.Done)
        {
            Refresh(running: true);
            TrialStatus? started;
            lock (gate) started = status.Values.FirstOrDefault(s => s.FirstStepTime is { } f && f >= startedAt.ToUnixTimeMilliseconds());
            if (!firstStepReported && started is { FirstStepTime: { } first })
            {
                firstStepReported = true;
                display.Note($"first trial's first step {(first - processStart) / 1000.0:F1} s after replab sweep started");
            }
            display.Update();
            Thread.Sleep(1000);
        }
    }

    /// <summary>Records each trial's outcome, writes the report, ends the parent run; the exit code.</summary>
    private int Finish(SweepState state, MlflowTracker tracker, CancellationTokenSource cts, Stopwatch clock)
    {
        // What became of each trial, kept for the next sweep (a cancelled pending trial leaves no run folder).
        foreach (var t in plan.Trials)
        {
            var entry = state.Trials[t.Id];
            var s = status[t.Index];
            entry.Outcome = s.Outcome;
            entry.Message = s.Error;
            entry.ExitCode = updates.GetValueOrDefault(t.Index)?.ExitCode ?? entry.ExitCode;
        }
        state.Save(plan.Folder);
        var counts = plan.Trials.GroupBy(t => status[t.Index].Outcome).ToDictionary(g => g.Key, g => g.Count());
        foreach (var outcome in Enum.GetValues<TrialOutcome>())
            tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, $"trials/{outcome.Words().Replace(' ', '-')}", counts.GetValueOrDefault(outcome), 0));
        var report = SweepReport.Build(plan, state, Metric());
        foreach (var written in report.Write(plan.Folder))
            tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, written, Path.GetFileName(written)));
        var allFinished = counts.GetValueOrDefault(TrialOutcome.Finished) == plan.Trials.Count;
        // The parent fails only for trials that failed or timed out; one still running elsewhere is not a failure.
        var end = allFinished ? RunStatus.Finished : counts.Keys.Any(o => o.IsFailure()) ? RunStatus.Failed : RunStatus.Killed;
        tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, end, allFinished ? null : string.Join(", ", counts.Where(c => c.Key != TrialOutcome.Finished).Select(c => $"{c.Value} {c.Key.Words()}"))));
        // After Ctrl-C the token is spent: the parent's end still gets a short while to reach a server.
        using (var upload = new CancellationTokenSource(cts.IsCancellationRequested ? TimeSpan.FromSeconds(10) : Timeout.InfiniteTimeSpan))
            tracker.Complete(upload.Token);
        Console.WriteLine($"replab: sweep {plan.Definition.Name}: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Value} {c.Key.Words()}"))} " +
                          $"in {clock.Elapsed.TotalSeconds:F0} s; report {Path.Combine(plan.Folder, "report.md")}");
        return cts.IsCancellationRequested ? 130 : allFinished ? 0 : 1;
    }

    /// <summary>The key metric when the sweep names none.</summary>
    public const string DefaultMetric = "eval/linear-probe/top1";

    private string Metric() => plan.Definition.Metric ?? DefaultMetric;

    /// <summary>Copies <paramref name="files"/> into the sweep's parent run's artifacts in the local store (replab sync ships them); false when the run is not there.</summary>
    public static bool LogToParent(SweepPlan plan, SweepState state, IReadOnlyList<string> files)
    {
        if (state.ParentRunId is null) return false;
        var store = new MlflowFileStore(TrackingTarget.Parse(TrackingTarget.ResolveUri(plan.TrackingUri)).LocalStore);
        if (store.Runs().FirstOrDefault(r => r.RunId == state.ParentRunId) is not { } run) return false;
        foreach (var f in files) AtomicFile.Copy(f, Path.Combine(run.Directory, "artifacts", Path.GetFileName(f)));
        return true;
    }

    /// <summary>
    /// The parent run's tags: the sweep's name and file and each swept parameter's values. Tags, not
    /// params: a sweep given more grid values reopens its parent run, and MLflow refuses a changed param.
    /// </summary>
    private Dictionary<string, string> SweepTags()
    {
        var tags = new Dictionary<string, string> { [TagNames.Sweep] = plan.Definition.Name, [TagNames.SweepFile] = plan.File, [TagNames.SweepTrials] = plan.Trials.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var p in plan.Definition.Parameters)
            tags[TagNames.SweepValues(p)] = string.Join(", ", plan.Trials.Select(t => t.Point.Assignments.FirstOrDefault(a => a.Path == p)?.ValueText).Distinct());
        return tags;
    }

    private IReadOnlyList<string> Arguments(SweepTrial t, TrialAction action, string parent)
    {
        var args = new List<string> { "run", plan.File };
        args.AddRange(t.Overrides);
        args.AddRange(["--runs-dir", Path.GetFullPath(request.RunsRoot), "--parent-run", parent, "--run-name", t.RunName(plan.ExperimentName)]);
        if (plan.Definition.TrialTimeout is { } limit) args.AddRange(["--time-limit", Duration.Text(limit)]);
        args.Add(action == TrialAction.RunAgain ? "--fresh" : "--resume");
        return args;
    }

    private void OnUpdate(TrialUpdate u, SweepTable.Display display)
    {
        lock (gate)
        {
            updates[u.Index] = u;
            var t = plan.Trials.First(x => x.Index == u.Index);
            status[u.Index] = Combine(Read(t), u, LogOf(t));
        }
        display.Update();
    }

    /// <summary>The run folder says how a trial ended; the executor says whether it is waiting, running, or died without saying.</summary>
    private static TrialStatus Combine(TrialStatus s, TrialUpdate u, string log) => u.State switch
    {
        TrialState.Pending => s with { Outcome = TrialOutcome.Pending },
        TrialState.Running => s.Outcome.HasEnded() ? s : s with { Outcome = TrialOutcome.Running },
        TrialState.Succeeded => s.Outcome == TrialOutcome.Finished ? s
            : s with { Outcome = TrialOutcome.Failed, Error = s.Error ?? "the process exited 0 but its run did not finish" },
        TrialState.Cancelled => s.Outcome.HasEnded() ? s : s with { Outcome = TrialOutcome.Cancelled, Error = u.Message },
        TrialState.TimedOut => s.Outcome == TrialOutcome.Finished ? s : s with { Outcome = TrialOutcome.TimedOut, Error = s.Error ?? u.Message },
        // Refused at its start because another live run holds its folder: busy, not failed; the sweep waits for it.
        _ when u.ExitCode == FolderLock.HeldExitCode && s.Outcome != TrialOutcome.Finished => s with { Outcome = TrialOutcome.RunningElsewhere, Error = null },
        _ => s.Outcome is TrialOutcome.Finished or TrialOutcome.TimedOut ? s
            : s with { Outcome = TrialOutcome.Failed, Error = s.Error ?? TrialStatus.ErrorFromLog(log) ?? u.Message },
    };

    private string LogOf(SweepTrial t) => Path.Combine(plan.Folder, "logs", t.Id + ".log");

    /// <summary>A trial's run folder, or what was last known of it when the folder cannot be read now (a network filesystem's hiccup).</summary>
    private TrialStatus Read(SweepTrial t)
    {
        try { return TrialStatus.Read(t.RunFolder, probeLock: false); }
        catch (IOException) { return status.GetValueOrDefault(t.Index) ?? TrialStatus.Pending; }
        catch (UnauthorizedAccessException) { return status.GetValueOrDefault(t.Index) ?? TrialStatus.Pending; }
    }

    /// <summary>Re-reads the run folders of running trials (progress) or, at the end, of every trial the executor touched.</summary>
    private void Refresh(bool running)
    {
        lock (gate)
        {
            foreach (var (index, u) in updates)
            {
                if (running && u.State != TrialState.Running) continue;
                var t = plan.Trials.First(x => x.Index == index);
                status[index] = Combine(Read(t), u, LogOf(t));
            }
        }
    }

    private IReadOnlyList<(SweepTrial Trial, TrialStatus Status)> Snapshot()
    {
        lock (gate) return plan.Trials.Select(t => (t, status[t.Index])).ToList();
    }

    private static FileStream LockFolder(string folder) =>
        FolderLock.Exclusive(Path.Combine(folder, "sweep.lock"), () => $"{folder} is in use by another replab sweep: wait for it to finish or stop it");
}

/// <summary>What a sweep does with a trial.</summary>
public enum TrialAction
{
    /// <summary>Leaves it (finished, or failed or timed out without --retry-failed).</summary>
    Skip,

    /// <summary>Runs it for the first time.</summary>
    Run,

    /// <summary>Runs a failed trial again from scratch (--fresh).</summary>
    RunAgain,

    /// <summary>Resumes it from its checkpoint (an interrupted or timed-out trial, or one another process holds, once it lets go).</summary>
    Resume,
}

/// <summary>A trial, its state now, what the sweep does with it, and that in words.</summary>
public sealed record TrialDecision(SweepTrial Trial, TrialStatus Status, TrialAction Action, string Text);
