using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Host.Run.Distributed;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>How a run ended, with the process exit code to return.</summary>
public sealed record RunOutcome(RunStatus Status, IReadOnlyDictionary<string, double> Metrics, string RunDirectory, int ExitCode);

/// <summary>Command-line choices that are not part of the experiment (they do not change its hash).</summary>
/// <param name="Fresh">Run again from scratch even when the run folder holds a finished run (otherwise that run is reported, not redone).</param>
/// <param name="ParentRunId">A sweep's parent run (its local store id): the run is tagged <c>mlflow.parentRunId</c> as its child.</param>
/// <param name="RunName">The MLflow run name (default: the experiment's name); a sweep names each trial by its settings.</param>
/// <param name="TimeLimit">The run stops (checkpointed, status timed out, exit 124) when it has run this long.</param>
/// <param name="CommandLine">The CLI's arguments that asked for the run: a run of several local processes starts each rank with them.</param>
public sealed record RunRequest(bool Resume = false, string RunsRoot = "runs", long StopAfterSteps = 0, bool Fresh = false, string? ParentRunId = null, string? RunName = null,
    TimeSpan? TimeLimit = null, IReadOnlyList<string>? CommandLine = null);

/// <summary>
/// One run, from its bound experiment to its outcome: a <see cref="RunSession"/> (folder, signals,
/// trackers), a <see cref="RunAssembly"/> (data, models, loop), training in the <see cref="TrainingLoop"/>,
/// the final <see cref="Evaluation"/>, and the <see cref="RunPublisher"/>. A trial's folder is
/// <c>runs/NAME/CONFIGHASH</c>, so re-running an experiment with <c>--resume</c> continues it.
/// </summary>
public sealed class Runner(ExperimentSpec spec, IReadOnlyList<ITracker> extraTrackers)
{
    public RunOutcome Run(RunRequest request)
    {
        var rank = RankSetup.FromEnvironment(spec.Trainer.Distributed);
        if (rank is null && spec.Trainer.Distributed.Processes > 1) return Launch(request);
        var device = ResolveDevice(spec.Trainer.Device);
        torch.set_num_threads(Threads(spec.Trainer));
        if (rank is { IsLeader: false }) return Follow(rank, request, device);
        using var session = RunSession.Open(spec, request, extraTrackers);
        using var parallel = rank is null ? null : DataParallel.Join(rank, spec.Trainer.Distributed, device);
        parallel?.Agree(StartKey, session.AlreadyFinished ? Finished : session.Resumed ? Resuming : Starting);
        if (session.AlreadyFinished) return AlreadyFinished(session.Records);
        session.Start(request, device);
        try
        {
            torch.manual_seed(spec.Seed);
            using var run = RunAssembly.Build(spec, session, device, parallel);
            var status = run.Train(request.StopAfterSteps);
            if (status == RunStatus.Killed) status = session.StoppedBy.Status;
            var metrics = status == RunStatus.Finished && run.Evaluation.Any ? run.Evaluation.Run(run.Representation) : null;
            if (status == RunStatus.Finished) RunPublisher.Publish(session, run.Representation, metrics);
            session.End(status, status switch
            {
                RunStatus.Stopped => $"stopped after {request.StopAfterSteps} steps (--stop-after-steps)",
                RunStatus.Finished => null,
                _ => session.StoppedBy.Reason,
            });
            var uploaded = session.Complete();
            return new RunOutcome(status, metrics ?? [], session.Records.Folder, status == RunStatus.Finished && !uploaded ? 130 : RunSession.ExitCode(status));
        }
        catch (OperationCanceledException) when (session.Stopping.IsCancellationRequested)
        {
            // A signal or the time limit while loading or evaluating: the last checkpoint stands, nothing of this phase is written.
            var (status, reason) = session.StoppedBy;
            Console.Error.WriteLine($"replab: {reason} before the run finished; continue with --resume");
            session.End(status, $"{reason} while loading or evaluating");
            return new RunOutcome(status, new Dictionary<string, double>(), session.Records.Folder, RunSession.ExitCode(status));
        }
        catch (Exception e)
        {
            session.Fail(e);
            throw;
        }
    }

    private const string StartKey = "run/start", Finished = "finished", Resuming = "resume", Starting = "new";

    /// <summary>Starts the local ranks of a run of several processes and reports them as one run: the folder rank 0 wrote.</summary>
    private RunOutcome Launch(RunRequest request)
    {
        var code = new RankLauncher(spec, request).Run();
        var records = RunRecords.For(request.RunsRoot, spec.Name, spec.Config.ShortHash());
        var status = records.Read().Ended ?? RunStatus.Failed;
        return new RunOutcome(status, status == RunStatus.Finished ? records.ReadEvaluation() : new Dictionary<string, double>(), records.Folder, code);
    }

    /// <summary>
    /// A rank other than 0: it trains its shard in step with the others but writes nothing of the run
    /// (rank 0 holds the folder and records everything); it reads the checkpoint when the run resumes.
    /// </summary>
    private RunOutcome Follow(RankSetup rank, RunRequest request, Device device)
    {
        using var parallel = DataParallel.Join(rank, spec.Trainer.Distributed, device);
        var start = parallel.Agree(StartKey, null);
        var records = RunRecords.For(request.RunsRoot, spec.Name, spec.Config.ShortHash());
        if (start == Finished) return new RunOutcome(RunStatus.Finished, new Dictionary<string, double>(), records.Folder, 0);
        using var session = RunSession.Follow(spec, records, start == Resuming, request.TimeLimit);
        torch.manual_seed(spec.Seed);
        using var run = RunAssembly.Build(spec, session, device, parallel);
        var status = run.Train(request.StopAfterSteps);
        if (status == RunStatus.Killed) status = session.StoppedBy.Status;
        return new RunOutcome(status, new Dictionary<string, double>(), records.Folder, RunSession.ExitCode(status));
    }

    /// <summary>The same config (same hash) already ran to the end: nothing of it is deleted or redone.</summary>
    private RunOutcome AlreadyFinished(RunRecords records)
    {
        var done = records.ReadEvaluation();
        Console.WriteLine($"replab: {spec.Name} [{spec.Config.ShortHash()}] has already finished in {records.Folder}" +
                          (done.Count > 0 ? $" ({string.Join(", ", done.Select(kv => $"{kv.Key} {kv.Value:G4}"))})" : "") +
                          "; --fresh runs it again from scratch");
        return new RunOutcome(RunStatus.Finished, done, records.Folder, 0);
    }

    /// <summary>
    /// libtorch's CPU threads: REPLAB_THREADS when set (a sweep executor's share of the machine), else
    /// <c>trainer.threads</c>, else every core.
    /// </summary>
    internal static int Threads(TrainerOptions trainer, Func<string, string?>? env = null)
    {
        var share = (env ?? Environment.GetEnvironmentVariable)("REPLAB_THREADS");
        if (int.TryParse(share, out var n) && n > 0) return n;
        return trainer.Threads > 0 ? trainer.Threads : Environment.ProcessorCount;
    }

    internal static Device ResolveDevice(string setting) => setting switch
    {
        "auto" => torch.cuda.is_available() ? Device.CUDA() : Device.CPU,
        _ when setting.StartsWith("cuda") && !torch.cuda.is_available() =>
            throw new ArgumentException($"trainer.device is '{setting}' but this libtorch has no CUDA device (torch {torch.version})"),
        _ => Device.Parse(setting),
    };
}
