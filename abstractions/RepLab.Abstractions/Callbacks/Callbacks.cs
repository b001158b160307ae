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
