namespace RepLab.Abstractions;

/// <summary>Where a trial stands, as an executor sees its process (the host reads the result from the run folder).</summary>
public enum TrialState
{
    /// <summary>Waiting: not started yet (queued locally, or pending in the scheduler).</summary>
    Pending,

    /// <summary>Its process is running.</summary>
    Running,

    /// <summary>Its process exited with code 0.</summary>
    Succeeded,

    /// <summary>Its process failed: a non-zero exit code, a time limit, out of memory, a node failure.</summary>
    Failed,

    /// <summary>Stopped before it ended: the sweep was cancelled or the trial was cancelled in the scheduler.</summary>
    Cancelled,

    /// <summary>Stopped because it ran past <see cref="SweepLaunch.TrialTimeout"/> (by the executor, or by the scheduler's time limit).</summary>
    TimedOut,
}

/// <summary>One trial to run: the command line is <see cref="SweepLaunch.Program"/>, <see cref="SweepLaunch.ProgramArguments"/>, then <see cref="Arguments"/>.</summary>
/// <param name="Index">The trial's index in the sweep (0-based; a Slurm array task's id).</param>
/// <param name="Id">The trial's config hash (16 hex digits), unique in the sweep.</param>
/// <param name="Arguments">The <c>run</c> command of the trial: file, overrides and flags. An executor may append overrides (<c>trainer.threads=N</c>).</param>
/// <param name="LogFile">Where the trial's console output goes (the executor creates it).</param>
public sealed record TrialLaunch(int Index, string Id, IReadOnlyList<string> Arguments, string LogFile);

/// <summary>What an executor is asked to run.</summary>
/// <param name="Name">The sweep's name (a scheduler job name).</param>
/// <param name="Folder">The sweep's folder: an executor keeps its own state here (submitted job ids), so a restarted sweep finds it.</param>
/// <param name="Program">The program that starts the RepLab CLI (<c>dotnet</c>).</param>
/// <param name="ProgramArguments">Its first arguments (the CLI's assembly).</param>
/// <param name="WorkingDirectory">Where trials start (relative paths of the experiment and tracking store resolve from here).</param>
/// <param name="Trials">The trials to run now (finished ones are left out by the host).</param>
/// <param name="Parallel">How many trials may run at once (0: the executor decides).</param>
/// <param name="Threads">CPU threads the sweep may use in total on this machine (the local executor splits them).</param>
/// <param name="TrialTimeout">
/// The sweep's <c>trial-timeout</c>, or null. A trial is given it as <c>--time-limit</c> and stops itself there (its
/// status: timed out); an executor stops a trial still running <see cref="TrialTimeout"/> plus its grace after it
/// started (SIGTERM, then SIGKILL after the grace) and reports <see cref="TrialState.TimedOut"/>; a scheduler maps it to
/// its own time limit (Slurm's <c>--time</c>).
/// </param>
public sealed record SweepLaunch(
    string Name, string Folder, string Program, IReadOnlyList<string> ProgramArguments, string WorkingDirectory,
    IReadOnlyList<TrialLaunch> Trials, int Parallel, int Threads, TimeSpan? TrialTimeout = null);

/// <summary>A change of a trial's state, reported by an executor.</summary>
/// <param name="Index">The trial's index (<see cref="TrialLaunch.Index"/>).</param>
/// <param name="State">Its new state.</param>
/// <param name="ExitCode">The process's exit code when it ended, if known.</param>
/// <param name="Message">Why it failed or was cancelled, in a few words (a scheduler state such as TIMEOUT).</param>
public sealed record TrialUpdate(int Index, TrialState State, int? ExitCode = null, string? Message = null);

/// <summary>
/// How the trials of a sweep run (<c>sweep.executor:</c>, or <c>replab sweep --executor NAME</c>):
/// child processes on this machine, a Slurm job array, or anything else that can start a command
/// line and tell when it ended. The host expands the sweep, skips finished trials, decides each
/// trial's outcome from its run folder and draws the table; an executor only starts and watches.
/// <code>
/// [Plugin("my-cluster")]
/// public sealed class MyCluster(MyClusterOptions options) : ISweepExecutor
/// {
///     public void Execute(SweepLaunch launch, Action&lt;TrialUpdate&gt; report, CancellationToken cancel) { ... }
/// }
/// </code>
/// </summary>
public interface ISweepExecutor : IPlugin
{
    /// <summary>
    /// Runs every trial of <paramref name="launch"/> and returns when each has ended, reporting each
    /// change of state (from any thread) through <paramref name="report"/>. When
    /// <paramref name="cancel"/> fires it stops what it started (trials that have not started never
    /// do), reports them <see cref="TrialState.Cancelled"/> and returns. Trials that a previous sweep
    /// process submitted and that still run (a scheduler outlives the process) are watched, not started again.
    /// </summary>
    void Execute(SweepLaunch launch, Action<TrialUpdate> report, CancellationToken cancel);
}
