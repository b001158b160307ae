// Every method's training step, as its plugin takes it (IMethod.Step on a fixed synthetic batch,
// with the options of the method's shipped Fashion-MNIST experiment): bench/run.sh times these
// beside the same steps in PyTorch eager (bench/method_steps*.py).
//
//   dotnet RepLab.Bench.dll --method <name> [--threads 2] [--batch B] [--steps 10] [--warmup 3]
//
// Prints: method=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Bench;

/// <summary>A method's benchmarked step: its default batch (the shipped experiment's) and a
/// factory that seeds, builds the method for a batch size and returns one step (the step's loss).</summary>
internal sealed record MethodStep(int Batch, Func<int, Func<double>> Make);

internal static class MethodSteps
{
    /// <summary>Every benchmarked method by name, in the README table's order.</summary>
    public static IReadOnlyDictionary<string, MethodStep> All { get; } =
        GenerativeSteps.All.Concat(SelfSupervisedSteps.All).ToDictionary(p => p.Key, p => p.Value);
}

/// <summary>The run context a benchmarked step sees, without trackers: the plan and the step count
/// (schedules, BYOL's tau and the layer-wise phases follow them), the losses the method logs (read
/// with item(), as the runner's context does), and every tenth step a recording one (trainer.log-every
/// 10, so the extra metrics a method computes on recording steps cost what they cost in a run).</summary>
internal sealed class BenchContext(TrainingPlan plan, long startStep = 0) : IRunContext
{
    /// <summary>Fashion-MNIST's training images: with trainer.drop-last, an epoch is 60000 / batch steps.</summary>
    public const int TrainingImages = 60000;

    public Dictionary<string, double> Losses { get; } = [];
    public double LastLoss { get; private set; }
    public Device Device => Device.CPU;
    public ulong Seed => 0;
    public TrainingPlan Plan => plan;
    public bool IsRecordingStep => GlobalStep % 10 == 0;
    public long GlobalStep { get; set; } = startStep;
    public int Epoch => (int)(GlobalStep / plan.StepsPerEpoch);
    public void Log(string key, double value) { }
    public void LogLoss(string key, Tensor value) => Losses[key] = LastLoss = value.item();
    public void SaveArtifact(string relativePath, ReadOnlySpan<byte> content) { }
    public CancellationToken Stopping => CancellationToken.None;
}
