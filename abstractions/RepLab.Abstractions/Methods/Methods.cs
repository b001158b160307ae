using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// How long training runs, known before the method is built: KL warm-ups, BYOL's tau schedule,
/// training phases and learning-rate schedules read it.
/// </summary>
/// <param name="Epochs">Passes over the training split.</param>
/// <param name="StepsPerEpoch">Training steps in one pass.</param>
/// <param name="TotalSteps">Training steps of the whole run (fewer than epochs x steps when trainer.max-steps cuts it).</param>
/// <param name="BatchSize">Images per step.</param>
public sealed record TrainingPlan(int Epochs, int StepsPerEpoch, long TotalSteps, int BatchSize)
{
    /// <summary>How far <paramref name="step"/> is into the run, in [0, 1].</summary>
    public double Progress(long step) => TotalSteps <= 0 ? 1 : Math.Clamp((double)step / TotalSteps, 0, 1);
}

/// <summary>
/// What a method needs from the run, declared before it is built, so the host checks the
/// experiment against it at load time (views listed, optimizer groups named).
/// </summary>
public sealed record MethodNeeds
{
    /// <summary>Augmented views of each image a step needs (0: the un-augmented batch only).</summary>
    public int Views { get; init; }

    /// <summary>Whether the method reads the labels that labelling augmentations make (<see cref="TrainBatch.ViewLabels"/>).</summary>
    public bool ViewLabels { get; init; }

    /// <summary>Whether the method reads class labels of training images (<see cref="TrainBatch.Labels"/>, -1 where unknown).</summary>
    public bool TrainingLabels { get; init; }

    /// <summary>
    /// The optimizer groups the method creates, each with its paper defaults; the experiment's
    /// <c>optimizers:</c> may name only these (e.g. <c>generator</c> and <c>discriminator</c>).
    /// </summary>
    public IReadOnlyDictionary<string, OptimizerDefaults> OptimizerGroups { get; init; } = new Dictionary<string, OptimizerDefaults>();
}

/// <summary>What a method receives to build itself.</summary>
/// <param name="Encoder">The experiment's encoder (input normalisation inside), on the device, in training mode.</param>
/// <param name="Encoders">More encoders of the same kind (a momentum encoder, a target network, a tile encoder).</param>
/// <param name="Input">Shape of the training images.</param>
/// <param name="Classes">Classes of the training labels (0 when the training split has none).</param>
/// <param name="Device">Where the run's tensors live; the method moves the modules it makes there.</param>
/// <param name="Plan">Epochs and steps of the run.</param>
/// <param name="Optimizers">Builds the optimizers of the declared groups.</param>
public sealed record MethodSetup(
    EncoderModule Encoder,
    IEncoderFactory Encoders,
    ImageShape Input,
    int Classes,
    Device Device,
    TrainingPlan Plan,
    IOptimizerFactory Optimizers);

/// <summary>
/// One training batch on the device: the augmented views (each [N, C, H, W], float), the
/// un-augmented images in [0, 1], the class labels (int64 [N], -1 for images whose label is
/// unknown or held out by <c>data.train-label-fraction</c>; null when no training image has one),
/// each image's index in the training set, and per view the int64 labels [N] made by the last
/// <see cref="ILabellingAugmentation"/> of its pipeline (RotNet's rotation), or null.
/// </summary>
public sealed record TrainBatch(
    IReadOnlyList<Tensor> Views,
    Tensor Original,
    Tensor? Labels,
    Tensor Indices,
    IReadOnlyList<Tensor?> ViewLabels)
{
    /// <summary>The batch's size.</summary>
    public long Count => Original.size(0);
}

/// <summary>
/// A learning method. It declares what it needs (<see cref="Needs"/>), builds its networks around
/// the encoder, then performs whole training steps: its own forward passes, losses, backward
/// passes and optimizer steps (a GAN alternates two optimizers; BYOL and MoCo update their EMA
/// targets at the end of the step). It owns its modules' train/eval modes. The host only loops,
/// scopes the step's tensors, logs, checkpoints, evaluates <see cref="Representation"/> and stops.
/// </summary>
public interface IMethod : IPlugin
{
    /// <summary>What the method needs from the experiment; read before <see cref="Build"/>, from the options alone.</summary>
    MethodNeeds Needs { get; }

    /// <summary>Builds networks and optimizers; called once before training or resuming.</summary>
    void Build(MethodSetup setup);

    /// <summary>One training step; reports each loss term through <paramref name="context"/>.</summary>
    void Step(TrainBatch batch, IRunContext context);

    /// <summary>
    /// What the evaluators score and the host saves as <c>encoder.safetensors</c>: usually the
    /// setup's encoder; a VAE's posterior mean or DCGAN's pooled discriminator maps otherwise. Input
    /// normalisation stays inside it (build it around the setup's encoder or the factory's).
    /// </summary>
    EncoderModule Representation { get; }

    /// <summary>Every module to checkpoint, by name (the encoder included).</summary>
    IReadOnlyDictionary<string, Module> Modules { get; }

    /// <summary>Every optimizer to checkpoint, by its group's name.</summary>
    IReadOnlyDictionary<string, optim.Optimizer> Optimizers { get; }
}

/// <summary>A picture for people: images in [0, 1] laid out in rows of <paramref name="Columns"/>, saved as <c>samples/NAME/epoch-NNN.png</c>.</summary>
public sealed record SampleGrid(string Name, Tensor Images, int Columns);

/// <summary>
/// Optional for methods: grids worth looking at (reconstructions beside inputs, samples from fixed
/// noise, latent interpolations). The host calls it at the end of each epoch in eval mode without
/// gradient, and puts every module's mode back afterwards.
/// </summary>
public interface ISampleGrids
{
    /// <summary>How many training images <see cref="Grids"/> receives (the same ones every epoch; 0 for none).</summary>
    int SampleInputs { get; }

    /// <summary>The grids for this epoch; <paramref name="inputs"/> holds <see cref="SampleInputs"/> training images in [0, 1] on the device.</summary>
    IReadOnlyList<SampleGrid> Grids(Tensor inputs);
}
