using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>How a run ended, with the process exit code to return.</summary>
public sealed record RunOutcome(RunStatus Status, IReadOnlyDictionary<string, double> Metrics, string RunDirectory, int ExitCode);

/// <summary>Command-line choices that are not part of the experiment (they do not change its hash).</summary>
/// <param name="Fresh">Run again from scratch even when the run folder holds a finished run (otherwise that run is reported, not redone).</param>
/// <param name="ParentRunId">A sweep's parent run (its local store id): the run is tagged <c>mlflow.parentRunId</c> as its child.</param>
/// <param name="RunName">The MLflow run name (default: the experiment's name); a sweep names each trial by its settings.</param>
public sealed record RunRequest(bool Resume = false, string RunsRoot = "runs", long StopAfterSteps = 0, bool Fresh = false, string? ParentRunId = null, string? RunName = null);

/// <summary>
/// The run lifecycle: seeds everything, loads the data, builds the plugins, hands training to the
/// <see cref="TrainingLoop"/>, evaluates and saves the method's representation, and reports every
/// stage to the trackers. A trial's folder is <c>runs/NAME/CONFIGHASH</c>, so re-running an
/// experiment with <c>--resume</c> continues it from its last checkpoint.
/// </summary>
public sealed class Runner(ExperimentSpec spec, PluginRegistry registry, IReadOnlyList<ITracker> extraTrackers)
{
    /// <summary>Warnings of the experiment's augmentations for this use of its views.</summary>
    internal static IEnumerable<string> ViewWarnings(ExperimentSpec spec, PluginRegistry registry, int channels)
    {
        var use = new ViewUse(channels, spec.Evaluation.Count > 0);
        return spec.Views.SelectMany(v => v)
            .Select(a => (a, warning: (registry.Create<IAugmentation>(a.Descriptor.Name, a.Options) as IViewAdvice)?.WarningFor(use)))
            .Where(x => x.warning is not null)
            .Select(x => $"{x.a.KeyPath} ({x.a.Descriptor.Name}): {x.warning}");
    }

    /// <summary>The experiment's view pipelines, built.</summary>
    internal static List<IReadOnlyList<IAugmentation>> Pipelines(ExperimentSpec spec, PluginRegistry registry) =>
        spec.Views.Select(v => (IReadOnlyList<IAugmentation>)v.Select(a => registry.Create<IAugmentation>(a.Descriptor.Name, a.Options)).ToList()).ToList();

    /// <summary>How many of the <paramref name="count"/> training images an epoch draws from (<c>trainer.limit</c>).</summary>
    internal static long TrainingImages(TrainerOptions trainer, long count) => trainer.Limit > 0 ? Math.Min(trainer.Limit, count) : count;

    /// <summary>Epochs and steps of training on <paramref name="count"/> images.</summary>
    internal static TrainingPlan Plan(TrainerOptions trainer, long count)
    {
        var n = TrainingImages(trainer, count);
        var stepsPerEpoch = (int)(trainer.DropLast ? n / trainer.BatchSize : (n + trainer.BatchSize - 1) / trainer.BatchSize);
        if (stepsPerEpoch == 0) throw new ArgumentException($"trainer.batch-size {trainer.BatchSize} is larger than the {n} training images");
        var totalSteps = (long)stepsPerEpoch * trainer.Epochs;
        if (trainer.MaxSteps > 0) totalSteps = Math.Min(totalSteps, trainer.MaxSteps);
        return new TrainingPlan(trainer.Epochs, stepsPerEpoch, totalSteps, trainer.BatchSize);
    }

    public RunOutcome Run(RunRequest request)
    {
        var trainer = spec.Trainer;
        var device = ResolveDevice(trainer.Device);
        torch.set_num_threads(Threads(trainer));
        using var folder = RunFolder.Prepare(spec, request.RunsRoot, request.Resume, request.Fresh);
        var (dir, checkpointPath, resumed) = (folder.Path, folder.Checkpoint, folder.Resumed);
        if (folder.AlreadyFinished)
        {
            // The same config (same hash) already ran to the end: nothing of it is deleted or redone.
            var done = File.Exists(folder.EvaluationFile)
                ? JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(folder.EvaluationFile)) ?? []
                : [];
            Console.WriteLine($"replab: {spec.Name} [{spec.Config.ShortHash()}] has already finished in {dir}" +
                              (done.Count > 0 ? $" ({string.Join(", ", done.Select(kv => $"{kv.Key} {kv.Value:G4}"))})" : "") +
                              "; --fresh runs it again from scratch");
            return new RunOutcome(RunStatus.Finished, done, dir, 0);
        }

        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });

        using var jsonl = new JsonLinesTracker(folder.MetricsFile, append: resumed);
        // MLFLOW_TRACKING_URI, as in MLflow, points any experiment at a server without editing it.
        var trackingUri = Tracking.TrackingTarget.ResolveUri(spec.Tracking.Uri);
        using var mlflowStore = Tracking.TrackerFactory.Create(trackingUri);
        // A store that cannot be written (a full disk) does not stop training: metrics.jsonl keeps the record.
        var mlflow = new Tracking.DegradingTracker(mlflowStore, mlflowStore.Store.Root);
        var trackers = new List<ITracker> { jsonl, mlflow };
        trackers.AddRange(extraTrackers);
        var tags = RunTags.Of(spec);
        if (request.ParentRunId is { Length: > 0 } parent) tags[Tracking.OfflineUploader.ParentRunIdTag] = parent;
        Emit(trackers, new RunStarted(DateTimeOffset.UtcNow, string.IsNullOrEmpty(spec.Tracking.Experiment) ? spec.Dataset.Descriptor.Name : spec.Tracking.Experiment,
            request.RunName is { Length: > 0 } runName ? runName : spec.Name, spec.Config.Hash(), dir, resumed, WithTrackingUri(spec.Config.Flatten(), trackingUri), tags));
        Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, folder.ConfigFile, "config.yaml"));
        Console.WriteLine($"replab: {spec.Name} [{spec.Config.ShortHash()}] on {device}, {torch.get_num_threads()} threads, libtorch {torch.version}; run folder {dir}");

        try
        {
            torch.manual_seed(spec.Seed);
            var dataset = registry.Create<IDataset>(spec.Dataset.Descriptor.Name, spec.Dataset.Options);
            using var train = DataPlan.Pretraining(dataset, spec.Data);
            cts.Token.ThrowIfCancellationRequested();
            var callbacks = spec.Callbacks.Select(c => registry.Create<ITrainingCallback>(c.Descriptor.Name, c.Options)).ToList();
            // Loaded (and checked: the probe split needs labels) before training, not after it.
            using var evaluationSets = spec.Evaluation.Count > 0 || callbacks.Any(c => c.NeedsEvaluationData) ? DataPlan.Evaluation(dataset, spec, train) : null;
            cts.Token.ThrowIfCancellationRequested();
            var encoders = new EncoderFactory(registry.Create<IEncoder>(spec.Encoder.Descriptor.Name, spec.Encoder.Options), train.Shape, Normalization(train, trackers), device);
            using var encoder = encoders.Build();
            var plan = spec.Method is null ? new TrainingPlan(0, 0, 0, trainer.BatchSize) : Plan(trainer, train.Count);
            Emit(trackers, new TagSet(DateTimeOffset.UtcNow, Sweeps.TrialStatus.TotalStepsTag, plan.TotalSteps.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var context = new RunContext(device, spec.Seed, plan, trackers, folder.Artifacts, cts.Token);
            var status = RunStatus.Finished;
            EncoderModule representation = encoder;
            if (spec.Method is not null)
            {
                var method = registry.Create<IMethod>(spec.Method.Descriptor.Name, spec.Method.Options);
                using var labels = DataPlan.TrainingLabels(train, spec.Data, spec.Seed);
                var optimizers = new OptimizerFactory(spec, plan);
                method.Build(new MethodSetup(encoder, encoders, train.Shape, labels is null ? 0 : train.Classes, device, plan, optimizers));
                foreach (var (group, settings) in optimizers.Settings)
                    Emit(trackers, new TagSet(DateTimeOffset.UtcNow, $"replab.optimizer.{group}", OptimizerFactory.Describe(settings)));
                representation = method.Representation;
                var callbackSetup = new CallbackSetup(representation, train.Shape, labels is null ? 0 : train.Classes, device, plan);
                foreach (var c in callbacks.OfType<IStatefulCallback>()) c.Build(callbackSetup);
                foreach (var warning in ViewWarnings(spec, registry, train.Shape.Channels)) Console.Error.WriteLine($"replab: warning: {warning}");
                var loader = new BatchLoader(train, labels, TrainingImages(trainer, train.Count), trainer.BatchSize, plan.StepsPerEpoch, Pipelines(spec, registry), device, spec.Seed);
                var loop = new TrainingLoop(spec, method, context, loader, train, callbacks, evaluationSets,
                    () => Evaluate(evaluationSets!, method.Representation, context), checkpointPath);
                status = loop.Run(resumed ? loop.Resume() : new TrainingPosition(0, 0, 0), request.StopAfterSteps);
            }
            var metrics = new Dictionary<string, double>();
            if (status == RunStatus.Finished && spec.Evaluation.Count > 0)
            {
                metrics = Evaluate(evaluationSets!, representation, context);
                AtomicFile.Write(folder.EvaluationFile, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
                Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, folder.EvaluationFile, "evaluation.json"));
            }
            if (status == RunStatus.Finished)
            {
                var weights = Path.Combine(folder.Artifacts, "encoder.safetensors");
                Directory.CreateDirectory(Path.GetDirectoryName(weights)!);
                using (var scope = torch.NewDisposeScope()) Safetensors.Save(weights, representation.state_dict());
                Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, weights, "encoder.safetensors"));
                if (File.Exists(checkpointPath)) Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, checkpointPath, "checkpoints/last.safetensors"));
            }
            Emit(trackers, new RunEnded(DateTimeOffset.UtcNow, status, status == RunStatus.Killed ? "stopped by signal or --stop-after-steps" : null));
            // The last phase: the upload of the run's end. A signal cuts it short (the run itself stays as it ended).
            var uploaded = mlflowStore.FinishUpload(cts.Token);
            return new RunOutcome(status, metrics, dir, status == RunStatus.Killed || !uploaded ? 130 : 0);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // A signal while loading or evaluating: the last checkpoint stands, nothing of this phase is written.
            Console.Error.WriteLine("replab: stopped by signal before the run finished; continue with --resume");
            Emit(trackers, new RunEnded(DateTimeOffset.UtcNow, RunStatus.Killed, "stopped by signal while loading or evaluating"));
            return new RunOutcome(RunStatus.Killed, new Dictionary<string, double>(), dir, 130);
        }
        catch (Exception e)
        {
            // The whole trace goes to the run's own log; the console gets one line (Cli/CliGuard).
            var log = Path.Combine(dir, "error.log");
            File.WriteAllText(log, $"{DateTimeOffset.UtcNow:u} {spec.Name} failed\n{e}\n");
            e.Data[ErrorLogKey] = log;
            Emit(trackers, new RunEnded(DateTimeOffset.UtcNow, RunStatus.Failed, e.Message));
            throw;
        }
    }

    /// <summary>The input normalisation of <c>data.normalize</c>, announced and tagged, or null.</summary>
    private (double[] Mean, double[] Std)? Normalization(ImageSet train, IReadOnlyList<ITracker> trackers)
    {
        if (DataPlan.Normalization(spec, train) is not var (mean, std)) return null;
        string Format(double[] v) => "[" + string.Join(", ", v.Select(x => x.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        Console.WriteLine($"replab: input normalisation ({spec.Data.Normalize.ToString().ToLowerInvariant()}): mean {Format(mean)}, std {Format(std)}");
        Emit(trackers, new TagSet(DateTimeOffset.UtcNow, "replab.data.mean", Format(mean)));
        Emit(trackers, new TagSet(DateTimeOffset.UtcNow, "replab.data.std", Format(std)));
        return (mean, std);
    }

    private Dictionary<string, double> Evaluate(EvaluationSets sets, EncoderModule representation, RunContext context)
    {
        var metrics = new Dictionary<string, double>();
        using var data = new EvaluationData(sets.Probe, sets.Test);
        foreach (var choice in spec.Evaluation)
        {
            context.Stopping.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var result = registry.Create<IEvaluator>(choice.Descriptor.Name, choice.Options).Evaluate(representation, data, context);
            foreach (var (k, v) in result)
            {
                metrics[k] = v;
                Console.WriteLine($"{k} = {v:F4}   ({choice.Descriptor.Name}, {clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        return metrics;
    }

    /// <summary>Where a failed run's exception says its trace was written (<c>Exception.Data</c> key).</summary>
    internal const string ErrorLogKey = "replab.error-log";

    /// <summary>The flattened config with <c>tracking.uri</c> set to the URI the run actually uses (credentials hidden).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> WithTrackingUri(IReadOnlyList<KeyValuePair<string, string>> flat, string uri) =>
        flat.Where(p => p.Key != "tracking.uri").Append(new("tracking.uri", Tracking.TrackingTarget.Display(uri))).ToList();

    private static void Emit(IEnumerable<ITracker> trackers, TrackingEvent e)
    {
        foreach (var t in trackers) t.Emit(e);
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
