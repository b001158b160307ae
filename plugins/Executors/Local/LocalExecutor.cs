using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using RepLab.Abstractions;

namespace RepLab.Plugins.Executors.Local;

/// <summary>Options of the <c>local</c> executor.</summary>
public sealed record LocalExecutorOptions : PluginOptions
{
    /// <summary>Trials at once; 0 takes <c>replab sweep --parallel</c>, else one per GPU listed, else 1 (default 0).</summary>
    [Range(0, 1024)]
    public int Parallel { get; init; }

    /// <summary>GPU indices to share out: the trial in slot k sees only gpus[k mod n] (CUDA_VISIBLE_DEVICES); empty sets none (default []).</summary>
    public int[] Gpus { get; init; } = [];

    /// <summary>
    /// Seconds a cancelled trial gets to checkpoint and exit after SIGTERM before it is killed (default 60); with the
    /// sweep's trial-timeout, also how long past it a trial may still run (it stops itself there) before it gets SIGTERM.
    /// </summary>
    [Range(1, 3600)]
    public int StopGraceSeconds { get; init; } = 60;
}

/// <summary>
/// Runs a sweep's trials as child <c>replab run</c> processes on this machine, N at a time. The
/// sweep's CPU threads are split between them (REPLAB_THREADS, which overrides <c>trainer.threads</c>
/// and, like it, does not change a trial's hash), and GPUs, when listed, are dealt out one per slot. Each trial's console goes to
/// its log file. On cancel, running trials get SIGTERM (they checkpoint and exit 130; the next
/// sweep resumes them) and queued ones never start. A trial still running its trial-timeout plus the
/// grace after it started gets SIGTERM, then SIGKILL after the grace, and is reported timed out.
/// </summary>
[Plugin("local", Summary = "runs trials as child replab run processes here, N at a time, splitting the threads (and GPUs) between them")]
public sealed class LocalExecutor(LocalExecutorOptions options) : ISweepExecutor
{
    /// <inheritdoc />
    public void Execute(SweepLaunch launch, Action<TrialUpdate> report, CancellationToken cancel)
    {
        var parallel = launch.Parallel > 0 ? launch.Parallel : options.Parallel > 0 ? options.Parallel : Math.Max(1, options.Gpus.Length);
        parallel = Math.Max(1, Math.Min(parallel, launch.Trials.Count));
        var threads = Math.Max(1, launch.Threads / parallel);
        var queue = new Queue<TrialLaunch>(launch.Trials);
        foreach (var t in launch.Trials) report(new TrialUpdate(t.Index, TrialState.Pending));
        var running = new List<(TrialLaunch Trial, Process Process, int Slot)>();
        var overtime = new Dictionary<int, DateTime>();  // trial index -> when it got SIGTERM for its time limit
        DateTime? stopAsked = null;
        try
        {
            while (queue.Count > 0 || running.Count > 0)
            {
                if (cancel.IsCancellationRequested)
                {
                    while (queue.TryDequeue(out var never)) report(new TrialUpdate(never.Index, TrialState.Cancelled, null, "the sweep was stopped before it started"));
                    if (stopAsked is null)
                    {
                        stopAsked = DateTime.UtcNow;
                        foreach (var r in running) Posix.Terminate(r.Process.Id);
                    }
                    else if (DateTime.UtcNow - stopAsked > TimeSpan.FromSeconds(options.StopGraceSeconds))
                        foreach (var r in running) r.Process.Kill();
                }
                StopOvertime(launch.TrialTimeout, running, overtime);
                while (!cancel.IsCancellationRequested && running.Count < parallel && queue.TryDequeue(out var next))
                {
                    var slot = Enumerable.Range(0, parallel).First(s => running.All(r => r.Slot != s));
                    running.Add((next, Start(launch, next, threads, slot), slot));
                    report(new TrialUpdate(next.Index, TrialState.Running));
                }
                foreach (var r in running.Where(r => r.Process.WaitForExit(0)).ToList())
                {
                    running.Remove(r);
                    var code = r.Process.ExitCode;
                    r.Process.Dispose();
                    report(code == 0 ? new TrialUpdate(r.Trial.Index, TrialState.Succeeded, 0)
                        : overtime.ContainsKey(r.Trial.Index) ? new TrialUpdate(r.Trial.Index, TrialState.TimedOut, code, $"stopped {options.StopGraceSeconds} s past its time limit of {launch.TrialTimeout!.Value.TotalSeconds:0} s")
                        : stopAsked is not null || code == 130 ? new TrialUpdate(r.Trial.Index, TrialState.Cancelled, code, "stopped by signal")
                        : new TrialUpdate(r.Trial.Index, TrialState.Failed, code, $"exit code {code}"));
                }
                // Once cancelled the token's handle stays set: sleep instead, or the loop would spin while trials checkpoint.
                if (running.Count == 0) continue;
                if (cancel.IsCancellationRequested) Thread.Sleep(200);
                else cancel.WaitHandle.WaitOne(200);
            }
        }
        finally
        {
            foreach (var r in running)
            {
                // Only an exception gets here with trials running: they must not outlive the sweep unseen.
                try { r.Process.Kill(); } catch (InvalidOperationException) { }
            }
        }
    }

    /// <summary>SIGTERM to each trial still running its time limit plus the grace after it started; SIGKILL a grace later.</summary>
    private void StopOvertime(TimeSpan? limit, List<(TrialLaunch Trial, Process Process, int Slot)> running, Dictionary<int, DateTime> overtime)
    {
        if (limit is not { } l) return;
        var grace = TimeSpan.FromSeconds(options.StopGraceSeconds);
        foreach (var r in running)
        {
            if (overtime.TryGetValue(r.Trial.Index, out var termAt))
            {
                if (DateTime.UtcNow - termAt > grace) r.Process.Kill();
            }
            else if (DateTime.Now - r.Process.StartTime > l + grace)
            {
                overtime[r.Trial.Index] = DateTime.UtcNow;
                Posix.Terminate(r.Process.Id);
            }
        }
    }

    private Process Start(SweepLaunch launch, TrialLaunch trial, int threads, int slot)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(trial.LogFile)!);
        // The shell sends the trial's console to its log (appended: an interrupted trial's earlier attempts stay) and execs the CLI.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = launch.WorkingDirectory };
        foreach (var a in new[] { "-c", "exec \"$0\" \"$@\" >>\"$REPLAB_TRIAL_LOG\" 2>&1", launch.Program }.Concat(launch.ProgramArguments).Concat(trial.Arguments))
            start.ArgumentList.Add(a);
        start.Environment["REPLAB_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["REPLAB_TRIAL_LOG"] = trial.LogFile;
        // A trial stopped at its time limit that does not end by itself is ended by the run within this grace (replab run reads it).
        start.Environment["REPLAB_STOP_GRACE"] = options.StopGraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (options.Gpus.Length > 0) start.Environment["CUDA_VISIBLE_DEVICES"] = options.Gpus[slot % options.Gpus.Length].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start trial {trial.Index}");
    }
}
