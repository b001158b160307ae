using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>What the host gives a plugin during a run. Plugins log only through it.</summary>
public interface IRunContext
{
    /// <summary>The device tensors of this run live on.</summary>
    Device Device { get; }

    /// <summary>The run's seed.</summary>
    ulong Seed { get; }

    /// <summary>Epochs and steps of the run.</summary>
    TrainingPlan Plan { get; }

    /// <summary>Training steps completed so far (the current step's number during a step).</summary>
    long GlobalStep { get; }

    /// <summary>The current epoch (0-based).</summary>
    int Epoch { get; }

    /// <summary>
    /// Whether values logged now are recorded: during a training step only every
    /// <c>trainer.log-every</c> steps; always outside steps (evaluations, epoch ends). A method can
    /// skip computing a diagnostic that would not be recorded.
    /// </summary>
    bool IsRecordingStep { get; }

    /// <summary>
    /// Records a metric at the current step, e.g. <c>Log("tau", v)</c>; during a training step it is
    /// kept only on recording steps (<see cref="IsRecordingStep"/>), like losses.
    /// </summary>
    void Log(string key, double value);

    /// <summary>Records a loss term from a scalar tensor; the host checks it is finite at every step and shows it on the progress line.</summary>
    void LogLoss(string key, Tensor value);

    /// <summary>Writes a file into the run's artifacts (e.g. a PNG grid).</summary>
    void SaveArtifact(string relativePath, ReadOnlySpan<byte> content);

    /// <summary>Signalled when the run should stop (SIGINT/SIGTERM): finish the current step.</summary>
    CancellationToken Stopping { get; }

    /// <summary>The processes of a data-parallel run (<c>trainer.distributed</c>); one process by default.</summary>
    IWorld World => SingleProcess.World;
}
