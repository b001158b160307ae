using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Config;

namespace RepLab.Host.Experiment;

/// <summary>The <c>trainer:</c> section: how long, how big, where, and how often to checkpoint and evaluate.</summary>
public sealed record TrainerOptions : IValidatableObject
{
    /// <summary>Passes over the training split (default 10).</summary>
    [Range(0, 100_000)]
    public int Epochs { get; init; } = 10;

    /// <summary>Images per training step (default 256).</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; init; } = 256;

    /// <summary>auto (CUDA when available), cpu, cuda or cuda:N (default auto).</summary>
    [DeviceName]
    public string Device { get; init; } = "auto";

    /// <summary>libtorch CPU threads; 0 uses every core (default 0).</summary>
    [Range(0, 1024)]
    public int Threads { get; init; }

    /// <summary>Checkpoint every N epochs; the last epoch is always checkpointed (default 1).</summary>
    [Range(1, 100_000)]
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Run the evaluations every N epochs as well as at the end; 0 only at the end (default 0).</summary>
    [Range(0, 100_000)]
    public int EvalEvery { get; init; }

    /// <summary>Record training metrics every N steps (default 10).</summary>
    [Range(1, 1_000_000)]
    public int LogEvery { get; init; } = 10;

    /// <summary>Drop the last incomplete batch of each epoch (default true).</summary>
    public bool DropLast { get; init; } = true;

    /// <summary>Train on at most this many images of the split (0: all); for quick runs (default 0).</summary>
    [Range(0, int.MaxValue)]
    public int Limit { get; init; }

    /// <summary>Stop after this many steps in total (0: no limit); for tests and smoke runs (default 0).</summary>
    [Range(0, long.MaxValue)]
    public long MaxSteps { get; init; }

    /// <summary>One run across several processes (data-parallel training); by default one process.</summary>
    public DistributedOptions Distributed { get; init; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BatchSize % Distributed.Processes != 0)
            yield return new ValidationResult(
                $"batch-size {BatchSize} is the global batch and must split evenly over distributed.processes {Distributed.Processes} (each rank trains on batch-size / processes)",
                [nameof(BatchSize)]);
        if (Distributed.Processes > 1 && !DropLast)
            yield return new ValidationResult("drop-last must be true with distributed.processes above 1 (ranks split whole batches only)", [nameof(DropLast)]);
    }
}

/// <summary>
/// The <c>trainer.distributed:</c> section: data-parallel training over c10d. <c>trainer.batch-size</c>
/// stays the global batch: each of the N processes (ranks) trains on batch-size / N images of it, and
/// gradients are averaged across ranks, so N processes follow the run one process would make.
/// </summary>
public sealed record DistributedOptions : IValidatableObject
{
    /// <summary>
    /// Processes (ranks) on this machine; <c>replab run</c> starts them and reports them as one run, each
    /// with its share of <c>trainer.threads</c>. Under <c>srun</c> the ranks are Slurm's tasks and this
    /// must equal their number (default 1).
    /// </summary>
    [Range(1, 1024)]
    public int Processes { get; init; } = 1;

    /// <summary>
    /// Batch norm with statistics over the global batch (all ranks) instead of each rank's slice; with it,
    /// N processes compute what one process would (default false).
    /// </summary>
    public bool SyncBatchNorm { get; init; }

    /// <summary>
    /// Seconds a collective may wait for the other ranks: a rank that died or hangs stops the others
    /// after at most this long, naming it (default 300).
    /// </summary>
    [Range(1, 86_400)]
    public int Timeout { get; init; } = 300;

    /// <summary>gloo (CPU tensors), nccl (CUDA tensors, a CUDA libtorch) or auto: nccl on a CUDA device, else gloo (default auto).</summary>
    public DistributedBackend Backend { get; init; } = DistributedBackend.Auto;

    /// <summary>TCP port of the rendezvous store on rank 0's host; 0 picks a free one (local) or one derived from the Slurm job id (default 0).</summary>
    [Range(0, 65_535)]
    public int Port { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Processes == 1 && SyncBatchNorm)
            yield return new ValidationResult("sync-batch-norm needs processes of 2 or more (one process already normalises over the whole batch)", [nameof(SyncBatchNorm)]);
    }
}

/// <summary>The c10d backend of <c>trainer.distributed</c>.</summary>
public enum DistributedBackend
{
    /// <summary>NCCL on a CUDA device, else Gloo.</summary>
    Auto,

    /// <summary>Gloo: CPU tensors, any libtorch with c10d.</summary>
    Gloo,

    /// <summary>NCCL: CUDA tensors; needs a CUDA build of libtorch.</summary>
    Nccl,
}

/// <summary>
/// A <c>trainer.device</c> value: <c>auto</c>, or a device <see cref="RepLab.Torch.Device.Parse"/> reads (cpu, cuda, cuda:N).
/// Checked when the experiment is bound, so a misspelt device is refused at its file and line before anything loads;
/// whether this machine has the CUDA device is known only when the run starts.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class DeviceNameAttribute : ValidationAttribute
{
    private static readonly string[] Names = ["auto", "cpu", "cuda"];

    /// <inheritdoc />
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var name = value as string ?? "";
        if (name == "auto")
            return ValidationResult.Success;
        try
        {
            RepLab.Torch.Device.Parse(name);
            return ValidationResult.Success;
        }
        catch (ArgumentException)
        {
            return new ValidationResult($"unknown device '{name}'{DidYouMean.Hint(name, Names)}; expected auto, cpu, cuda or cuda:N (a GPU's index)");
        }
    }
}

/// <summary>How the encoder's input is normalised (the <c>data.normalize</c> key).</summary>
public enum InputNormalization
{
    /// <summary>The encoder sees images in [0, 1].</summary>
    None,

    /// <summary>Per-channel mean and standard deviation of the pretraining images, computed at the start of the run.</summary>
    Auto,

    /// <summary>The configured <c>data.mean</c> and <c>data.std</c>.</summary>
    Fixed,
}

/// <summary>
/// The <c>data:</c> section: which splits the method trains on and the evaluators fit and score on,
/// the labelled fraction for few-label evaluation, and the encoder's input normalisation.
/// </summary>
public sealed record DataOptions : IValidatableObject
{
    /// <summary>
    /// Splits the method trains on, concatenated in this order (default [train]); e.g.
    /// [train, unlabeled] for STL-10's 105,000 images, or [unlabeled] alone.
    /// </summary>
    [MinLength(1)]
    public string[] PretrainSplits { get; init; } = ["train"];

    /// <summary>Labelled split the evaluators fit on: probes' training data, kNN's memory (default train).</summary>
    public string ProbeSplit { get; init; } = "train";

    /// <summary>
    /// Split the evaluators score on (default test). A dataset without it is scored on the probe split,
    /// with a warning, unless this names another.
    /// </summary>
    public string TestSplit { get; init; } = "test";

    /// <summary>
    /// Fraction of the probe split's labels the evaluators may use: a stratified subset, the same for a
    /// given seed (default 1, all; 0.01 and 0.1 are the usual few-label protocols).
    /// </summary>
    [Range(1e-6, 1.0)]
    public double LabelFraction { get; init; } = 1.0;

    /// <summary>
    /// Fraction of the training labels a method may see (AC-GAN's class loss, semi-supervised
    /// methods): a seeded, stratified subset of each class; every other training label reads -1
    /// (default 1, all; 0: none, the method sees no labels). The evaluators' labels are set by <c>label-fraction</c>.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TrainLabelFraction { get; init; } = 1.0;

    /// <summary>
    /// Classes the method trains on (default all): the pretraining images of other classes are left out,
    /// as one-class anomaly detection trains on the normal class only (<c>[0]</c>). Needs a labelled
    /// pretraining split; the evaluators' splits keep every class.
    /// </summary>
    public int[]? TrainClasses { get; init; }

    /// <summary>
    /// The encoder's input normalisation, applied inside the encoder so training views, evaluation and
    /// samples all see the same: none (images in [0, 1]), auto (per-channel mean and std of the
    /// pretraining images) or fixed (<c>mean</c> and <c>std</c> below) (default none). The values are
    /// buffers of the encoder, saved with its weights.
    /// </summary>
    public InputNormalization Normalize { get; init; } = InputNormalization.None;

    /// <summary>Per-channel means for <c>normalize: fixed</c>, one per image channel (e.g. [0.4914, 0.4822, 0.4465] for CIFAR-10).</summary>
    public double[]? Mean { get; init; }

    /// <summary>Per-channel standard deviations for <c>normalize: fixed</c>, all positive.</summary>
    public double[]? Std { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var given = Mean is not null || Std is not null;
        if (Normalize == InputNormalization.Fixed && (Mean is null || Std is null))
            yield return new ValidationResult("normalize: fixed needs both mean and std (one value per channel)", [nameof(Normalize)]);
        else if (Normalize != InputNormalization.Fixed && given)
            yield return new ValidationResult("mean and std are used only with normalize: fixed", [Mean is not null ? nameof(Mean) : nameof(Std)]);
        if (Mean is not null && Std is not null && Mean.Length != Std.Length)
            yield return new ValidationResult($"mean has {Mean.Length} values and std {Std.Length}: one each per channel", [nameof(Std)]);
        if (Std is not null && Std.Any(v => !(v > 0) || !double.IsFinite(v)))
            yield return new ValidationResult("std values must be positive and finite", [nameof(Std)]);
        if (TrainClasses is { Length: 0 } || TrainClasses?.Any(c => c < 0) == true)
            yield return new ValidationResult("train-classes lists class numbers (0 or more), at least one", [nameof(TrainClasses)]);
        if (Mean is not null && Mean.Any(v => !double.IsFinite(v)))
            yield return new ValidationResult("mean values must be finite", [nameof(Mean)]);
    }
}

/// <summary>The <c>tracking:</c> section.</summary>
public sealed record TrackingOptions
{
    /// <summary>Where runs are recorded: a folder (the local MLflow store) or an http(s) MLflow server (default mlruns).</summary>
    public string Uri { get; init; } = "mlruns";

    /// <summary>MLflow experiment name (default: the dataset plugin's name).</summary>
    public string Experiment { get; init; } = "";

    /// <summary>The run's system metrics (CPU, memory, disk, network, GPU) under MLflow's <c>system/</c> names.</summary>
    public SystemMetricsOptions SystemMetrics { get; init; } = new();
}

/// <summary>
/// The <c>tracking.system-metrics:</c> section: what MLflow's system-metrics monitor logs (CPU, memory, disk
/// and network use; each GPU's memory and utilization when the run trains on CUDA and NVIDIA's NVML loads),
/// under its names (<c>system/cpu_utilization_percentage</c>, ...) with its own step counter, sampled by
/// rank 0 of a distributed run. <c>enabled: false</c> turns it off.
/// </summary>
public sealed record SystemMetricsOptions
{
    /// <summary>Whether the run logs system metrics (default true).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Seconds between samples, from 0.1 (MLflow's sampling interval; default 10).</summary>
    [Range(0.1, 86_400.0)]
    public double Interval { get; init; } = 10;

    /// <summary>Samples averaged into each logged point (MLflow's samples before logging; default 1).</summary>
    [Range(1, 10_000)]
    public int Samples { get; init; } = 1;
}
