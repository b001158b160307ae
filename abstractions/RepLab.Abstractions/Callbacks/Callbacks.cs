using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// Where training stands when a callback is called. <see cref="Batch"/> is the step's batch at a
/// step's end (null at an epoch's end); <see cref="Evaluation"/> holds the experiment's labelled
/// splits when it loads any (an <c>evaluation:</c> list or a callback asking for them).
/// </summary>
public sealed record TrainingState(
    IRunContext Context,
    TrainingPlan Plan,
    EncoderModule Representation,
    TrainBatch? Batch,
    EvaluationData? Evaluation,
    Func<IReadOnlyDictionary<string, double>> RunEvaluators);

/// <summary>
/// A training callback (<c>callbacks:</c> in the experiment): code that runs during training
/// without the host knowing it by name: an online linear probe, evaluation every N steps, a
/// custom diagnostic. It must not change the method's modules or their modes (use
/// <see cref="ModuleModes.Eval"/> around its own forward passes).
/// </summary>
public interface ITrainingCallback : IPlugin
{
    /// <summary>Whether the callback reads <see cref="TrainingState.Evaluation"/> (the host then loads the labelled splits).</summary>
    bool NeedsEvaluationData { get; }

    /// <summary>After every training step, inside the step's dispose scope.</summary>
    void OnStepEnd(TrainingState state);

    /// <summary>After every epoch (and its checkpoint).</summary>
    void OnEpochEnd(TrainingState state);
}

/// <summary>What a stateful callback receives before training starts or resumes.</summary>
/// <param name="Representation">The method's representation (what the evaluators will score).</param>
/// <param name="Input">Shape of the training images.</param>
/// <param name="Classes">Classes of the training labels (0 when the training split has none).</param>
/// <param name="Device">Where the run's tensors live.</param>
/// <param name="Plan">Epochs and steps of the run.</param>
public sealed record CallbackSetup(EncoderModule Representation, ImageShape Input, int Classes, Device Device, TrainingPlan Plan);

/// <summary>
/// Optional for callbacks that train something of their own (an online probe's head and its
/// optimizer): built once before training or resuming, and checkpointed with the method under
/// <c>callback.INDEX.PLUGIN.NAME</c>, so a resumed run continues their state exactly.
/// </summary>
public interface IStatefulCallback
{
    /// <summary>Makes the callback's modules and optimizers; called once, before training or resuming.</summary>
    void Build(CallbackSetup setup);

    /// <summary>The modules to checkpoint, by name.</summary>
    IReadOnlyDictionary<string, Module> Modules { get; }

    /// <summary>The optimizers to checkpoint, by name.</summary>
    IReadOnlyDictionary<string, optim.Optimizer> Optimizers { get; }
}
