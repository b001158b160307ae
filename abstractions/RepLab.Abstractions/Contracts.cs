using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>Shape of the images a dataset yields: channels, height, width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// Images held in memory as uint8 [N, C, H, W] with optional int64 labels [N]. The set owns its
/// tensors.
/// </summary>
public sealed class ImageSet(Tensor images, Tensor? labels, int classes, string name) : IDisposable
{
    /// <summary>uint8 [N, C, H, W].</summary>
    public Tensor Images { get; } = images.DetachFromDisposeScope();

    /// <summary>int64 [N] class indices, or null for unlabelled data.</summary>
    public Tensor? Labels { get; } = labels?.DetachFromDisposeScope();

    /// <summary>Number of classes (0 for unlabelled data).</summary>
    public int Classes { get; } = classes;

    /// <summary>Dataset and split, e.g. <c>fashion-mnist/test</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Number of images.</summary>
    public long Count => Images.size(0);

    /// <summary>The per-image shape.</summary>
    public ImageShape Shape
    {
        get
        {
            var s = Images.shape;
            return new ImageShape((int)s[1], (int)s[2], (int)s[3]);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}

/// <summary>A dataset plugin: loads one split into memory. No downloads: a missing file is an error naming it.</summary>
public interface IDataset : IPlugin
{
    /// <summary>Splits this dataset offers, e.g. train, test, unlabeled.</summary>
    IReadOnlyList<string> Splits { get; }

    /// <summary>Loads <paramref name="split"/> as uint8 images (and labels where the split has them).</summary>
    ImageSet Load(string split);
}

/// <summary>
/// One step of a view pipeline, applied to a whole float batch [N, C, H, W] in [0, 1] on the
/// run's device; every sample draws its own random parameters from the generator.
/// </summary>
public interface IAugmentation : IPlugin
{
    /// <summary>Returns the augmented batch (a new tensor).</summary>
    Tensor Apply(Tensor batch, Generator generator);
}

/// <summary>
/// An augmentation whose random choice is itself a label, for pretext tasks that make their own
/// labels (RotNet's rotation, jigsaw's permutation). A method in another plugin assembly reaches
/// it through this interface, since it shares only the SDK with the augmentation's assembly.
/// </summary>
public interface ILabellingAugmentation : IAugmentation
{
    /// <summary>The augmented batch and the int64 label [N] of each sample, on the batch's device; the same draws as <see cref="IAugmentation.Apply"/>.</summary>
    (Tensor Augmented, Tensor Labels) ApplyWithLabels(Tensor batch, Generator generator);
}

/// <summary>An encoder (backbone) whose forward maps images [N, C, H, W] to features [N, F].</summary>
public abstract class EncoderModule : Module
{
    /// <summary>The feature dimension F.</summary>
    public abstract int Features { get; }
}

/// <summary>A backbone factory: builds a fresh encoder for the dataset's image shape.</summary>
public interface IEncoder : IPlugin
{
    /// <summary>Builds an encoder for inputs of <paramref name="input"/> shape, initialised from the global seed.</summary>
    EncoderModule Build(ImageShape input);
}

/// <summary>What a method receives to build itself.</summary>
public sealed record MethodSetup(
    EncoderModule Encoder,
    ImageShape Input,
    Device Device,
    IOptimizerFactory Optimizers);

/// <summary>
/// Builds optimizers from the experiment's <c>optimizer:</c> (all groups) or
/// <c>optimizers: { group: ... }</c> sections, falling back to the method's paper defaults.
/// </summary>
public interface IOptimizerFactory
{
    /// <summary>An optimizer over <paramref name="parameters"/> for parameter group <paramref name="group"/>.</summary>
    optim.Optimizer Create(string group, IEnumerable<Tensor> parameters, OptimizerDefaults defaults);
}

/// <summary>A method's paper defaults for one optimizer, used when the experiment names none.</summary>
public sealed record OptimizerDefaults(string Plugin, double Lr, double WeightDecay = 0, double Beta1 = 0.9, double Beta2 = 0.999, double Momentum = 0.9);

/// <summary>
/// One training batch: the augmented views (each [N, C, H, W], float, on the device), the
/// un-augmented images in [0, 1], the class labels if known, and per view the int64 labels [N] made
/// by the last <see cref="ILabellingAugmentation"/> of its pipeline (RotNet's rotation), or null
/// for a view without one.
/// </summary>
public sealed record TrainBatch(IReadOnlyList<Tensor> Views, Tensor Original, Tensor? Labels, IReadOnlyList<Tensor?>? ViewLabels = null);

/// <summary>
/// A learning method. It builds its networks around the encoder, then performs whole training
/// steps: its own forward passes, losses, backward passes and optimizer steps (a GAN alternates
/// two optimizers; BYOL and MoCo update their EMA targets at the end of the step). The host only
/// loops, scopes the step's tensors, logs, checkpoints and stops.
/// </summary>
public interface IMethod : IPlugin
{
    /// <summary>How many augmented views of each image a step needs (0: the un-augmented batch only).</summary>
    int Views { get; }

    /// <summary>Builds networks and optimizers; called once before training or resuming.</summary>
    void Build(MethodSetup setup);

    /// <summary>One training step; reports each loss term through <paramref name="context"/>.</summary>
    void Step(TrainBatch batch, IRunContext context);

    /// <summary>The representation network that evaluators score.</summary>
    EncoderModule Encoder { get; }

    /// <summary>Every module to checkpoint, by name (the encoder included).</summary>
    IReadOnlyDictionary<string, Module> Modules { get; }

    /// <summary>Every optimizer to checkpoint, by parameter-group name.</summary>
    IReadOnlyDictionary<string, optim.Optimizer> Optimizers { get; }
}

/// <summary>
/// Labelled splits an evaluator scores a frozen encoder on. Features are computed once per split
/// and shared by every evaluator of the run (<see cref="FeaturesOf"/>).
/// </summary>
public sealed class EvaluationData(ImageSet train, ImageSet test) : IDisposable
{
    private readonly Dictionary<ImageSet, Tensor> cache = new(ReferenceEqualityComparer.Instance);

    /// <summary>The split the probes are fitted on.</summary>
    public ImageSet Train { get; } = train;

    /// <summary>The split the probes are scored on.</summary>
    public ImageSet Test { get; } = test;

    /// <summary>Features [N, F] of <paramref name="set"/> under the frozen <paramref name="encoder"/>, computed on first use; owned by this object.</summary>
    public Tensor FeaturesOf(EncoderModule encoder, ImageSet set, Device device)
    {
        if (!cache.TryGetValue(set, out var f)) cache[set] = f = Features.Extract(encoder, set, device).DetachFromDisposeScope();
        return f;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in cache.Values) f.Dispose();
        cache.Clear();
    }
}

/// <summary>
/// An evaluation protocol on a frozen encoder (linear probe, kNN, ...). It must not change the
/// encoder; it logs its metrics and its protocol settings through the context.
/// </summary>
public interface IEvaluator : IPlugin
{
    /// <summary>Scores <paramref name="encoder"/>; returns metric name to value (also logged).</summary>
    IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context);
}

/// <summary>What the host gives a plugin during a run. Plugins log only through it.</summary>
public interface IRunContext
{
    /// <summary>The device tensors of this run live on.</summary>
    Device Device { get; }

    /// <summary>The run's seed.</summary>
    ulong Seed { get; }

    /// <summary>Training steps completed so far.</summary>
    long GlobalStep { get; }

    /// <summary>The current epoch (0-based).</summary>
    int Epoch { get; }

    /// <summary>Records a metric at the current step, e.g. <c>Log("loss/recon", v)</c>.</summary>
    void Log(string key, double value);

    /// <summary>Records a loss term from a scalar tensor; the host checks it is finite.</summary>
    void LogLoss(string key, Tensor value);

    /// <summary>Writes a file into the run's artifacts (e.g. a PNG grid).</summary>
    void SaveArtifact(string relativePath, ReadOnlySpan<byte> content);

    /// <summary>Signalled when the run should stop (SIGINT/SIGTERM): finish the current step.</summary>
    CancellationToken Stopping { get; }
}
