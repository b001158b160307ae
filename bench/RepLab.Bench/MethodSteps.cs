// Every method's training step, as its plugin takes it (IMethod.Step on a fixed synthetic batch,
// with the options of the method's shipped Fashion-MNIST experiment): bench/run.sh times these
// beside the same steps in PyTorch eager (bench/method_steps*.py).
//
//   dotnet RepLab.Bench.dll --method <name> [--threads 2] [--batch B] [--steps 10] [--warmup 3]
//
// Prints: method=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
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
