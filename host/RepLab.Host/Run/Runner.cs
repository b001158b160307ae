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
public sealed record RunRequest(bool Resume = false, string RunsRoot = "runs", long StopAfterSteps = 0);

/// <summary>
/// The run lifecycle: seeds everything, builds the plugins, trains with one dispose scope per
/// step, checkpoints atomically, evaluates, and stops cleanly on SIGINT/SIGTERM or a non-finite
/// loss. A trial's folder is <c>runs/NAME/CONFIGHASH</c>, so re-running an experiment with
/// <c>--resume</c> continues it from its last checkpoint.
/// </summary>
public sealed class Runner(ExperimentSpec spec, PluginRegistry registry, IReadOnlyList<ITracker> extraTrackers)
{
    /// <summary>Mixes the run seed with a stream id: each epoch's shuffle and each step's augmentation get their own generator, so resuming needs no generator state.</summary>
    internal static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The seed of view <paramref name="view"/>'s augmentation generator at <paramref name="step"/>.</summary>
    internal static ulong ViewSeed(ulong seed, long step, int view) => Mix(Mix(seed, (1UL << 40) + (ulong)step), (ulong)view);

    /// <summary>Warnings of the experiment's augmentations for images of <paramref name="channels"/> channels.</summary>
    internal static IEnumerable<string> ChannelWarnings(ExperimentSpec spec, PluginRegistry registry, int channels) =>
        spec.Views.SelectMany((v, i) => v.Select(a => (a, i)))
            .Select(x => (x.a, x.i, warning: (registry.Create<IAugmentation>(x.a.Descriptor.Name, x.a.Options) as IChannelAware)?.WarningFor(channels)))
            .Where(x => x.warning is not null)
            .Select(x => $"{x.a.KeyPath} ({x.a.Descriptor.Name}): {x.warning}");

    public RunOutcome Run(RunRequest request)
    {
        var trainer = spec.Trainer;
        var device = ResolveDevice(trainer.Device);
        torch.set_num_threads(trainer.Threads > 0 ? trainer.Threads : Environment.ProcessorCount);
        var dir = Path.GetFullPath(Path.Combine(request.RunsRoot, spec.Name, spec.Config.ShortHash()));
        var checkpointPath = Path.Combine(dir, "checkpoints", "last.safetensors");
        var resumed = request.Resume && File.Exists(checkpointPath);
        if (!request.Resume && Directory.Exists(Path.Combine(dir, "checkpoints")))
            Directory.Delete(Path.Combine(dir, "checkpoints"), recursive: true);
        Directory.CreateDirectory(Path.Combine(dir, "checkpoints"));
        File.WriteAllText(Path.Combine(dir, "config.yaml"), spec.Config.ToYaml());

        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });

        using var jsonl = new JsonLinesTracker(Path.Combine(dir, "metrics.jsonl"));
        // MLFLOW_TRACKING_URI, as in MLflow, points any experiment at a server without editing it.
        using var mlflow = Tracking.TrackerFactory.Create(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI") is { Length: > 0 } env ? env : spec.Tracking.Uri);
        var trackers = new List<ITracker> { jsonl, mlflow };
        trackers.AddRange(extraTrackers);
        var context = new RunContext(device, spec.Seed, trackers, Path.Combine(dir, "artifacts"), cts.Token);
        Emit(trackers, new RunStarted(DateTimeOffset.UtcNow, string.IsNullOrEmpty(spec.Tracking.Experiment) ? spec.Dataset.Descriptor.Name : spec.Tracking.Experiment,
            spec.Name, spec.Config.Hash(), dir, resumed, spec.Config.Flatten(), Tags()));
        Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, Path.Combine(dir, "config.yaml"), "config.yaml"));
        Console.WriteLine($"replab: {spec.Name} [{spec.Config.ShortHash()}] on {device}, {torch.get_num_threads()} threads, libtorch {torch.version}; run folder {dir}");

        try
        {
            torch.manual_seed(spec.Seed);
            var dataset = registry.Create<IDataset>(spec.Dataset.Descriptor.Name, spec.Dataset.Options);
            using var train = DataPlan.Pretraining(dataset, spec.Data);
            // Loaded (and checked: the probe split needs labels) before training, not after it.
            using var evaluationSets = spec.Evaluation.Count > 0 ? DataPlan.Evaluation(dataset, spec, train) : null;
            using var encoder = BuildEncoder(train, trackers);
            encoder.to(device);
            var status = RunStatus.Finished;
            if (spec.Method is not null)
                status = Train(train, evaluationSets, encoder, device, context, checkpointPath, resumed, request);
            var metrics = new Dictionary<string, double>();
            if (status == RunStatus.Finished && spec.Evaluation.Count > 0)
            {
                metrics = Evaluate(evaluationSets!, encoder, context);
                File.WriteAllText(Path.Combine(dir, "evaluation.json"), JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
                Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, Path.Combine(dir, "evaluation.json"), "evaluation.json"));
            }
            if (status == RunStatus.Finished)
            {
                var weights = Path.Combine(dir, "artifacts", "encoder.safetensors");
                Directory.CreateDirectory(Path.GetDirectoryName(weights)!);
                using (var scope = torch.NewDisposeScope()) Safetensors.Save(weights, encoder.state_dict());
                Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, weights, "encoder.safetensors"));
                if (File.Exists(checkpointPath)) Emit(trackers, new ArtifactLogged(DateTimeOffset.UtcNow, checkpointPath, "checkpoints/last.safetensors"));
            }
            Emit(trackers, new RunEnded(DateTimeOffset.UtcNow, status, status == RunStatus.Killed ? "stopped by signal or --stop-after-steps" : null));
            return new RunOutcome(status, metrics, dir, status == RunStatus.Killed ? 130 : 0);
        }
        catch (Exception e)
        {
            Emit(trackers, new RunEnded(DateTimeOffset.UtcNow, RunStatus.Failed, e.Message));
            throw;
        }
    }

    /// <summary>The experiment's encoder, behind the input normalisation of <c>data.normalize</c> if any.</summary>
    private EncoderModule BuildEncoder(ImageSet train, IReadOnlyList<ITracker> trackers)
    {
        var encoder = registry.Create<IEncoder>(spec.Encoder.Descriptor.Name, spec.Encoder.Options).Build(train.Shape);
        if (DataPlan.Normalization(spec, train) is not var (mean, std)) return encoder;
        string Format(double[] v) => "[" + string.Join(", ", v.Select(x => x.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        Console.WriteLine($"replab: input normalisation ({spec.Data.Normalize.ToString().ToLowerInvariant()}): mean {Format(mean)}, std {Format(std)}");
        Emit(trackers, new TagSet(DateTimeOffset.UtcNow, "replab.data.mean", Format(mean)));
        Emit(trackers, new TagSet(DateTimeOffset.UtcNow, "replab.data.std", Format(std)));
        return new NormalizedEncoder(encoder, mean, std);
    }

    private RunStatus Train(ImageSet train, EvaluationSets? evaluationSets, EncoderModule encoder, Device device, RunContext context, string checkpointPath, bool resume, RunRequest request)
    {
        var trainer = spec.Trainer;
        var method = registry.Create<IMethod>(spec.Method!.Descriptor.Name, spec.Method.Options);
        var optimizers = new OptimizerFactory(spec);
        method.Build(new MethodSetup(encoder, train.Shape, device, optimizers));
        foreach (var warning in ChannelWarnings(spec, registry, train.Shape.Channels)) Console.Error.WriteLine($"replab: warning: {warning}");
        if (spec.Evaluation.Count > 0 && spec.Views.SelectMany(v => v).FirstOrDefault(a => a.Descriptor.Name == "normalize") is { } normalize)
            Console.Error.WriteLine($"replab: warning: {normalize.KeyPath} (normalize): the views are standardised but the evaluators feed the encoder [0, 1] images; " +
                "data.normalize (auto or fixed) standardises inside the encoder for both");
        var pipelines = spec.Views.Select(v => v.Select(a => registry.Create<IAugmentation>(a.Descriptor.Name, a.Options)).ToList()).ToList();
        var n = trainer.Limit > 0 ? Math.Min(trainer.Limit, train.Count) : train.Count;
        var stepsPerEpoch = (int)(trainer.DropLast ? n / trainer.BatchSize : (n + trainer.BatchSize - 1) / trainer.BatchSize);
        if (stepsPerEpoch == 0) throw new ArgumentException($"trainer.batch-size {trainer.BatchSize} is larger than the {n} training images");
        var totalSteps = (long)stepsPerEpoch * trainer.Epochs;
        if (trainer.MaxSteps > 0) totalSteps = Math.Min(totalSteps, trainer.MaxSteps);

        var position = new TrainingPosition(0, 0, 0);
        if (resume)
        {
            position = Checkpoint.Load(checkpointPath, method.Modules, method.Optimizers, optimizers.Schedules);
            Console.WriteLine($"replab: resumed from {checkpointPath} at epoch {position.Epoch + 1}, step {position.GlobalStep}");
        }
        void Save(TrainingPosition p) => Checkpoint.Save(checkpointPath, method.Modules, method.Optimizers, optimizers.Schedules, p);

        return TrainingProgress.Run($"{spec.Name}: {spec.Method.Descriptor.Name}", progress =>
        {
            var step = position.GlobalStep;
            var stoppedAt = request.StopAfterSteps > 0 ? position.GlobalStep + request.StopAfterSteps : long.MaxValue;
            var clock = Stopwatch.StartNew();
            long imagesSeen = 0;
            foreach (var module in method.Modules.Values) module.train();
            var loader = new BatchLoader(train, n, trainer.BatchSize, stepsPerEpoch, pipelines, device, spec.Seed);
            for (var epoch = position.Epoch; epoch < trainer.Epochs && step < totalSteps; epoch++)
            {
                context.Epoch = epoch;
                var first = epoch == position.Epoch ? position.StepInEpoch : 0;
                foreach (var (s, _, batch) in loader.Epoch(epoch, first, step, totalSteps))
                {
                    using (batch)
                    {
                        if (context.Stopping.IsCancellationRequested || step >= stoppedAt)
                        {
                            Save(new TrainingPosition(epoch, s, step));
                            progress.Message($"replab: stopped at step {step}; checkpoint {checkpointPath}; continue with --resume");
                            return RunStatus.Killed;
                        }
                        using var scope = torch.NewDisposeScope();
                        context.GlobalStep = step;
                        context.Recording = step % trainer.LogEvery == 0;
                        method.Step(new TrainBatch(batch.Views, batch.Original, batch.Labels, batch.ViewLabels), context);
                        imagesSeen += batch.Count;
                    }
                    step++;
                    var rate = imagesSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    if (context.Recording)
                    {
                        context.Log("perf/images-per-second", rate);
                        context.Log("perf/data-wait-fraction", loader.WaitSeconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
                    }
                    progress.Update(epoch, trainer.Epochs, step, totalSteps, context.StepLosses, rate);
                }
                foreach (var schedule in optimizers.Schedules) schedule.step();
                if (method is ISamplesImages sampler) SaveSamples(sampler, method, train, device, context, epoch);
                var done = epoch + 1 == trainer.Epochs || step >= totalSteps;
                if ((epoch + 1) % trainer.CheckpointEvery == 0 || done) Save(new TrainingPosition(epoch + 1, 0, step));
                context.Log("epoch", epoch + 1);
                if (trainer.EvalEvery > 0 && (epoch + 1) % trainer.EvalEvery == 0 && !done && spec.Evaluation.Count > 0)
                {
                    Evaluate(evaluationSets!, encoder, context);
                    foreach (var module in method.Modules.Values) module.train();
                }
            }
            progress.Message($"replab: trained {step - position.GlobalStep} steps in {clock.Elapsed.TotalSeconds:F1} s, {imagesSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} images/s; " +
                $"waiting for data {loader.WaitSeconds:F1} s ({100 * loader.WaitSeconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1}%)");
            return RunStatus.Finished;
        });
    }

    /// <summary>A PNG grid of the method's sample images for the first 8 training images, in eval mode.</summary>
    private static void SaveSamples(ISamplesImages sampler, IMethod method, ImageSet train, Device device, RunContext context, int epoch)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        foreach (var m in method.Modules.Values) m.eval();
        try
        {
            var x = train.Images.slice(0, 0, Math.Min(8, train.Count)).to(device, ScalarType.Float32) / 255.0;
            var (images, columns) = sampler.Samples(x);
            context.SaveArtifact($"samples/epoch-{epoch + 1:D3}.png", Images.EncodePng(Images.Grid(images, columns)));
        }
        finally
        {
            foreach (var m in method.Modules.Values) m.train();
        }
    }

    private Dictionary<string, double> Evaluate(EvaluationSets sets, EncoderModule encoder, RunContext context)
    {
        var metrics = new Dictionary<string, double>();
        using var data = new EvaluationData(sets.Probe, sets.Test);
        foreach (var choice in spec.Evaluation)
        {
            var clock = Stopwatch.StartNew();
            var result = registry.Create<IEvaluator>(choice.Descriptor.Name, choice.Options).Evaluate(encoder, data, context);
            foreach (var (k, v) in result)
            {
                metrics[k] = v;
                Console.WriteLine($"{k} = {v:F4}   ({choice.Descriptor.Name}, {clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        return metrics;
    }

    private Dictionary<string, string> Tags()
    {
        var tags = new Dictionary<string, string>
        {
            ["replab.config_hash"] = spec.Config.Hash(),
            ["replab.version"] = typeof(Runner).Assembly.GetName().Version?.ToString() ?? "0",
            ["replab.libtorch"] = torch.version,
        };
        foreach (var c in new[] { spec.Dataset, spec.Encoder, spec.Method }.OfType<PluginChoice>().Concat(spec.Evaluation).Concat(spec.Views.SelectMany(v => v)))
            tags[$"replab.plugin.{c.KeyPath}"] = $"{c.Descriptor.Name}@{c.Descriptor.Version}";
        return tags;
    }

    private static void Emit(IEnumerable<ITracker> trackers, TrackingEvent e)
    {
        foreach (var t in trackers) t.Emit(e);
    }

    internal static Device ResolveDevice(string setting) => setting switch
    {
        "auto" => torch.cuda.is_available() ? Device.CUDA() : Device.CPU,
        _ when setting.StartsWith("cuda") && !torch.cuda.is_available() =>
            throw new ArgumentException($"trainer.device is '{setting}' but this libtorch has no CUDA device (torch {torch.version})"),
        _ => Device.Parse(setting),
    };
}
