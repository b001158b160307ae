// Every method's training step, as its plugin takes it (IMethod.Step on a fixed synthetic batch,
// with the options of the method's shipped Fashion-MNIST experiment): bench/run.sh times these
// beside the same steps in PyTorch eager (bench/method_steps*.py).
//
//   dotnet RepLab.Bench.dll --method <name> [--threads 2] [--batch B] [--steps 10] [--warmup 3]
//
// Prints: method=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Torch;

namespace RepLab.Bench;

/// <summary>
/// A method's benchmarked step: the plugin <paramref name="Create"/> makes, on <paramref name="Encoder"/>, with
/// the optimizer and schedule of its shipped experiment's plan (<paramref name="Epochs"/> epochs of
/// Fashion-MNIST at the batch size; <see cref="Optimizer"/> applies the experiment's <c>optimizer:</c> over the
/// method's declared defaults), stepped as the runner's training loop steps it: <see cref="IMethod.Step"/> in a
/// dispose scope, the global step counted on after it. <paramref name="Batch"/>: the experiment's batch size.
/// </summary>
internal sealed record MethodStep(string Name, int Batch, int Epochs, IEncoder Encoder, Func<IMethod> Create)
{
    private static readonly ImageShape Shape = new(1, 28, 28);

    /// <summary>Augmented views the step takes (0: it trains on the un-augmented batch).</summary>
    public int Views { get; init; }

    /// <summary>Whether the run gives the method labels (train-label-fraction 0.1: one image in ten keeps its class).</summary>
    public bool Labelled { get; init; }

    /// <summary>The epoch whose steps are timed (the global step the method sees at the start).</summary>
    public int StartEpoch { get; init; }

    /// <summary>The logged loss the step reports (null: the last one the method logs).</summary>
    public string? LossKey { get; init; }

    public Func<OptimizerDefaults, OptimizerDefaults>? Optimizer { get; init; }

    /// <summary>Seeds, builds the method for <paramref name="batch"/>, draws the fixed batch (after the
    /// weights, as PyTorch's side does: images in [0, 1], one per view, then the labels) and returns one
    /// training step, which returns its loss.</summary>
    public Func<double> Make(int batch)
    {
        torch.manual_seed(0);
        var stepsPerEpoch = BenchContext.TrainingImages / batch;
        var plan = new TrainingPlan(Epochs, stepsPerEpoch, (long)Epochs * stepsPerEpoch, batch);
        var encoders = new EncoderFactory(Encoder, Shape, null, Device.CPU);
        var method = Create();
        var needs = Optimizer is null ? method.Needs : method.Needs with
        {
            OptimizerGroups = method.Needs.OptimizerGroups.ToDictionary(g => g.Key, g => Optimizer(g.Value)),
        };
        // As the run assembles it: the labels' classes only when the method is given labels.
        method.Build(new MethodSetup(encoders.Build(), encoders, Shape, Labelled ? 10 : 0, Device.CPU, plan,
            OptimizerFactory.Defaults(Name, needs, plan)));
        var images = Enumerable.Range(0, Math.Max(Views, 1)).Select(_ => torch.rand([batch, 1, 28, 28])).ToList();
        var indices = torch.arange(batch);
        var labels = Labelled ? torch.randint(0, 10, [batch]).masked_fill(indices.remainder(10).ne(0), -1) : null;
        var trainBatch = new TrainBatch(Views > 0 ? images : [], images[0], labels, indices,
            Views > 0 ? images.Select(_ => (Tensor?)null).ToList() : []);
        var context = new BenchContext(plan, StartEpoch * (long)stepsPerEpoch);
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            method.Step(trainBatch, context);
            context.GlobalStep++;
            return LossKey is null ? context.LastLoss : context.Losses[LossKey];
        };
    }
}

internal static class MethodSteps
{
    /// <summary>Every benchmarked method by name, in the README table's order.</summary>
    public static IReadOnlyDictionary<string, MethodStep> All { get; } =
        GenerativeSteps.All.Concat(SelfSupervisedSteps.All).ToDictionary(s => s.Name);
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
