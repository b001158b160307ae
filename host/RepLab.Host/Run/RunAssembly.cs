using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Host.Run.Distributed;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// A run assembled from its bound experiment: the data, the evaluation, the encoder, and (with a
/// method) the method built with its optimizers, the callbacks and the loop over the batch loader.
/// Each plugin is the one instance the binding constructed. Disposing it frees what it loaded.
/// </summary>
internal sealed class RunAssembly : IDisposable
{
    private readonly ExperimentSpec spec;
    private readonly RunSession session;
    private readonly Device device;
    private readonly DataParallel? parallel;
    private readonly Stack<IDisposable> owned = new();

    private RunAssembly(ExperimentSpec spec, RunSession session, Device device, DataParallel? parallel) =>
        (this.spec, this.session, this.device, this.parallel) = (spec, session, device, parallel);

    public ImageSet TrainingSet { get; private set; } = null!;
    public Evaluation Evaluation { get; private set; } = null!;

    /// <summary>What the run evaluates and saves: the method's representation, or the untrained encoder without a method.</summary>
    public EncoderModule Representation { get; private set; } = null!;

    /// <summary>The training loop; null without a method.</summary>
    public TrainingLoop? Loop { get; private set; }

    /// <summary>Assembles <paramref name="spec"/>'s run in <paramref name="session"/>, as one rank of <paramref name="parallel"/> when given; a signal stops it between the steps.</summary>
    public static RunAssembly Build(ExperimentSpec spec, RunSession session, Device device, DataParallel? parallel = null)
    {
        var run = new RunAssembly(spec, session, device, parallel);
        try
        {
            run.LoadData();
            run.BuildModels();
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>Trains (from the checkpoint when the session resumes) unless there is no method; how training ended.</summary>
    public RunStatus Train(long stopAfterSteps) =>
        Loop is null ? RunStatus.Finished : Loop.Run(session.Resumed ? Loop.Resume() : new TrainingPosition(0, 0, 0), stopAfterSteps);

    private T Own<T>(T disposable) where T : IDisposable
    {
        owned.Push(disposable);
        return disposable;
    }

    private void LoadData()
    {
        var dataset = spec.Dataset.As<IDataset>();
        TrainingSet = Own(DataPlan.Pretraining(dataset, spec.Data));
        session.Datasets(() => RunDatasets.Training(TrainingSet, spec));
        session.Stopping.ThrowIfCancellationRequested();
    }

    private void BuildModels()
    {
        var callbacks = spec.Callbacks.Select(c => c.As<ITrainingCallback>()).ToList();
        // Loaded (and checked: the probe split needs labels) before training, not after it.
        var sets = spec.Evaluation.Count > 0 || callbacks.Any(c => c.NeedsEvaluationData) ? Own(DataPlan.Evaluation(spec.Dataset.As<IDataset>(), spec, TrainingSet)) : null;
        if (sets is not null) session.Datasets(() => RunDatasets.Evaluation(sets, TrainingSet, spec));
        session.Stopping.ThrowIfCancellationRequested();
        var encoders = new EncoderFactory(spec.Encoder.As<IEncoder>(), TrainingSet.Shape, Normalization(), device);
        var encoder = Own(encoders.Build());
        var plan = spec.Method is null ? new TrainingPlan(0, 0, 0, spec.Trainer.BatchSize) : TrainingPlans.Of(spec.Trainer, TrainingSet.Count);
        session.Tag(TagNames.TotalSteps, plan.TotalSteps);
        var context = new RunContext(device, spec.Seed, plan, session.Tracker, session.Records.Artifacts, session.Stopping, parallel);
        Evaluation = new Evaluation(spec.Evaluation, sets, context);
        Representation = encoder;
        if (spec.Method is not null) BuildMethod(encoders, encoder, context, callbacks);
    }

    private void BuildMethod(EncoderFactory encoders, EncoderModule encoder, RunContext context, IReadOnlyList<ITrainingCallback> callbacks)
    {
        var method = spec.Method!.As<IMethod>();
        var plan = context.Plan;
        var labels = DataPlan.TrainingLabels(TrainingSet, spec.Data, spec.Seed);
        if (labels is not null) Own(labels);
        var classes = labels is null ? 0 : TrainingSet.Classes;
        var optimizers = new OptimizerFactory(spec, plan);
        method.Build(new MethodSetup(encoder, encoders, TrainingSet.Shape, classes, device, plan, optimizers));
        if (CheckpointCoverage.Problem(method, spec.Method!.Descriptor.Name) is { } hidden) throw ConfigException.At(spec.MethodLocation, "method", hidden);
        foreach (var (group, settings) in optimizers.Settings) session.Tag(TagNames.Optimizer(group), OptimizerOverrides.Describe(settings));
        Representation = method.Representation;
        var callbackSetup = new CallbackSetup(Representation, TrainingSet.Shape, classes, device, plan);
        foreach (var c in callbacks.OfType<IStatefulCallback>()) c.Build(callbackSetup);
        foreach (var warning in ViewWarnings(spec, TrainingSet.Shape.Channels)) Console.Error.WriteLine($"replab: warning: {warning}");
        var loader = new BatchLoader(TrainingSet, labels, TrainingPlans.Images(spec.Trainer, TrainingSet.Count), spec.Trainer.BatchSize, plan.StepsPerEpoch, Pipelines(spec), device, spec.Seed,
            (parallel?.Rank ?? 0, parallel?.Size ?? 1));
        Loop = new TrainingLoop(spec, method, context, loader, TrainingSet, callbacks, Evaluation, session.Records.Checkpoint);
        if (parallel is not null) Parallelise(parallel, Loop);
    }

    /// <summary>
    /// Makes the loop's models data-parallel: rank 0's weights on every rank, synchronised batch norm when
    /// asked, and every optimizer's gradients averaged across ranks before it steps.
    /// </summary>
    private void Parallelise(DataParallel parallel, TrainingLoop loop)
    {
        var modules = loop.Modules.Values.ToList();
        if (spec.Trainer.Distributed.SyncBatchNorm) parallel.SynchroniseBatchNorm(modules);
        parallel.BroadcastState(modules);
        foreach (var o in loop.Optimizers.Values) o.register_step_pre_hook(parallel.AverageGradients);
        session.Tag(TagNames.Ranks, parallel.Size);
    }

    /// <summary>The input normalisation of <c>data.normalize</c>, announced and tagged, or null.</summary>
    private (double[] Mean, double[] Std)? Normalization()
    {
        if (DataPlan.Normalization(spec, TrainingSet) is not var (mean, std)) return null;
        string Format(double[] v) => "[" + string.Join(", ", v.Select(x => x.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        Console.WriteLine($"replab: input normalisation ({spec.Data.Normalize.ToString().ToLowerInvariant()}): mean {Format(mean)}, std {Format(std)}");
        session.Tag(TagNames.DataMean, Format(mean));
        session.Tag(TagNames.DataStd, Format(std));
        return (mean, std);
    }

    /// <summary>Warnings of the experiment's augmentations for this use of its views.</summary>
    internal static IEnumerable<string> ViewWarnings(ExperimentSpec spec, int channels)
    {
        var use = new ViewUse(channels, spec.Evaluation.Count > 0);
        return spec.Views.SelectMany(v => v)
            .Select(a => (a, warning: (a.Plugin as IViewAdvice)?.WarningFor(use)))
            .Where(x => x.warning is not null)
            .Select(x => $"{x.a.KeyPath} ({x.a.Descriptor.Name}): {x.warning}");
    }

    /// <summary>The experiment's view pipelines.</summary>
    internal static List<IReadOnlyList<IAugmentation>> Pipelines(ExperimentSpec spec) =>
        spec.Views.Select(v => (IReadOnlyList<IAugmentation>)v.Select(a => a.As<IAugmentation>()).ToList()).ToList();

    public void Dispose()
    {
        while (owned.Count > 0) owned.Pop().Dispose();
    }
}

/// <summary>Epochs and steps of training from the <c>trainer:</c> section.</summary>
internal static class TrainingPlans
{
    /// <summary>How many of the <paramref name="count"/> training images an epoch draws from (<c>trainer.limit</c>).</summary>
    public static long Images(TrainerOptions trainer, long count) => trainer.Limit > 0 ? Math.Min(trainer.Limit, count) : count;

    /// <summary>Epochs and steps of training on <paramref name="count"/> images.</summary>
    public static TrainingPlan Of(TrainerOptions trainer, long count)
    {
        var n = Images(trainer, count);
        var stepsPerEpoch = (int)(trainer.DropLast ? n / trainer.BatchSize : (n + trainer.BatchSize - 1) / trainer.BatchSize);
        if (stepsPerEpoch == 0) throw new ArgumentException($"trainer.batch-size {trainer.BatchSize} is larger than the {n} training images");
        var totalSteps = (long)stepsPerEpoch * trainer.Epochs;
        if (trainer.MaxSteps > 0) totalSteps = Math.Min(totalSteps, trainer.MaxSteps);
        return new TrainingPlan(trainer.Epochs, stepsPerEpoch, totalSteps, trainer.BatchSize);
    }
}
