using System.Diagnostics;
using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Tracking;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>Where training stands: saved with the weights so a resumed run continues exactly.</summary>
internal sealed record TrainingPosition(int Epoch, int StepInEpoch, long GlobalStep);

/// <summary>
/// The training loop: batches in, one method step each inside its own dispose scope, then the
/// hooks: every callback after each step, and after each epoch the sample grids, the checkpoint,
/// the periodic evaluation and every callback again. It stops cleanly (checkpoint) on a signal or
/// the time limit (<see cref="RunStatus.Killed"/>: the session knows which) or after
/// <c>--stop-after-steps</c> (<see cref="RunStatus.Stopped"/>).
/// </summary>
internal sealed class TrainingLoop(
    ExperimentSpec spec,
    IMethod method,
    RunContext context,
    BatchLoader loader,
    ImageSet train,
    IReadOnlyList<ITrainingCallback> callbacks,
    Evaluation evaluation,
    string checkpointPath)
{
    private TrainingPlan Plan => context.Plan;

    private readonly (IReadOnlyDictionary<string, Module> Modules, IReadOnlyDictionary<string, optim.Optimizer> Optimizers) state = State(spec, method, callbacks);

    /// <summary>What a checkpoint holds: the method's modules and optimizers, and those of every stateful callback under <c>callback.INDEX.PLUGIN.</c>.</summary>
    private static (IReadOnlyDictionary<string, Module>, IReadOnlyDictionary<string, optim.Optimizer>) State(
        ExperimentSpec spec, IMethod method, IReadOnlyList<ITrainingCallback> callbacks)
    {
        var modules = new Dictionary<string, Module>(method.Modules);
        var optimizers = new Dictionary<string, optim.Optimizer>(method.Optimizers);
        for (var i = 0; i < callbacks.Count; i++)
        {
            if (callbacks[i] is not IStatefulCallback stateful) continue;
            var prefix = $"callback.{i}.{spec.Callbacks[i].Descriptor.Name}.";
            foreach (var (name, m) in stateful.Modules) modules.Add(prefix + name, m);
            foreach (var (name, o) in stateful.Optimizers) optimizers.Add(prefix + name, o);
        }
        return (modules, optimizers);
    }

    /// <summary>Every module the checkpoint holds, by its checkpoint name.</summary>
    public IReadOnlyDictionary<string, Module> Modules => state.Modules;

    /// <summary>Every optimizer the checkpoint holds, by its checkpoint name.</summary>
    public IReadOnlyDictionary<string, optim.Optimizer> Optimizers => state.Optimizers;

    /// <summary>
    /// The checkpoint, written by rank 0 alone; in a data-parallel run every rank first takes rank 0's
    /// buffers (per-rank batch-norm statistics) and hands in its generator state, so the checkpoint is
    /// every rank's state.
    /// </summary>
    private void Save(TrainingPosition p)
    {
        context.Parallel?.BroadcastBuffers(state.Modules.Values);
        var generators = context.Parallel?.GatherGeneratorStates();
        try
        {
            if (context.Records) Checkpoint.Save(checkpointPath, state.Modules, state.Optimizers, p, generators);
        }
        finally
        {
            foreach (var g in generators ?? []) g.Dispose();
        }
    }

    public TrainingPosition Resume()
    {
        var position = Checkpoint.Load(checkpointPath, state.Modules, state.Optimizers, Plan, context.Parallel?.Rank ?? 0);
        Console.WriteLine($"replab: resumed from {checkpointPath} at epoch {position.Epoch + 1}, step {position.GlobalStep}");
        context.Emit(new RunResumed(DateTimeOffset.UtcNow, position.GlobalStep));
        return position;
    }

    public RunStatus Run(TrainingPosition position, long stopAfterSteps) =>
        TrainingProgress.Run($"{spec.Name}: {spec.Method!.Descriptor.Name}", progress =>
        {
            var trainer = spec.Trainer;
            var step = position.GlobalStep;
            var stoppedAt = stopAfterSteps > 0 ? position.GlobalStep + stopAfterSteps : long.MaxValue;
            var clock = Stopwatch.StartNew();
            long imagesSeen = 0;
            double Rate() => imagesSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            for (var epoch = position.Epoch; epoch < Plan.Epochs && step < Plan.TotalSteps; epoch++)
            {
                context.Epoch = epoch;
                var first = epoch == position.Epoch ? position.StepInEpoch : 0;
                foreach (var (s, _, loaded) in loader.Epoch(epoch, first, step, Plan.TotalSteps))
                {
                    using (loaded)
                    {
                        if (Stop(step, context.Stopping.IsCancellationRequested || step >= stoppedAt))
                        {
                            Save(new TrainingPosition(epoch, s, step));
                            progress.Message($"replab: stopped at step {step}; checkpoint {checkpointPath}; continue with --resume");
                            return step >= stoppedAt && !context.Stopping.IsCancellationRequested ? RunStatus.Stopped : RunStatus.Killed;
                        }
                        using var scope = torch.NewDisposeScope();
                        context.BeginStep(step, step % trainer.LogEvery == 0);
                        try
                        {
                            using (BatchSlice.Enter(loaded.Slice)) Step(loaded.Batch);
                            imagesSeen += loaded.Count;
                            if (context.IsRecordingStep) LogPerformance(Rate(), clock.Elapsed.TotalSeconds, step);
                            foreach (var c in callbacks) Call(c.OnStepEnd, loaded.Batch);
                        }
                        finally
                        {
                            context.EndStep();
                        }
                    }
                    step++;
                    context.GlobalStep = step;
                    progress.Update(epoch, Plan.Epochs, step, Plan.TotalSteps, context.StepLosses, Rate());
                }
                var done = epoch + 1 == Plan.Epochs || step >= Plan.TotalSteps;
                SaveGrids(epoch);
                if ((epoch + 1) % trainer.CheckpointEvery == 0 || done) Save(new TrainingPosition(epoch + 1, 0, step));
                context.Log("epoch", epoch + 1);
                // Every rank evaluates (on rank 0's buffers, just broadcast by the checkpoint or here), so none waits on another past the collective timeout.
                if (trainer.EvalEvery > 0 && (epoch + 1) % trainer.EvalEvery == 0 && !done && evaluation.Any)
                {
                    context.Parallel?.BroadcastBuffers(state.Modules.Values);
                    evaluation.Run(method.Representation);
                }
                foreach (var c in callbacks) Call(c.OnEpochEnd, null);
            }
            progress.Message($"replab: trained {step - position.GlobalStep} steps in {clock.Elapsed.TotalSeconds:F1} s, {Rate():F0} images/s; " +
                $"waiting for data {loader.WaitSeconds:F1} s ({100 * loader.WaitSeconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1}%)");
            return RunStatus.Finished;
        });

    /// <summary>The method's step; in a data-parallel run a collective that fails inside it names the rank behind.</summary>
    private void Step(TrainBatch batch)
    {
        try
        {
            method.Step(batch, context);
        }
        catch (TorchException e) when (context.Parallel?.Explain(e) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Whether to stop before <paramref name="step"/>: this process's reason, or in a data-parallel run any rank's, so all ranks stop at the same step.</summary>
    private bool Stop(long step, bool here) => context.Parallel is { } parallel ? parallel.AgreeToStop(step, here) : here;

    private void LogPerformance(double rate, double elapsedSeconds, long step)
    {
        // Between two recording steps the volume covers log-every steps (fewer at the start).
        if (context.Parallel is { } parallel) context.Log("perf/collective-mb-per-step", parallel.TakeVolume() / 1e6 / Math.Max(1, Math.Min(spec.Trainer.LogEvery, step + 1)));
        context.Log("perf/images-per-second", rate);
        context.Log("perf/data-wait-fraction", loader.WaitSeconds / Math.Max(elapsedSeconds, 1e-9));
        foreach (var (group, opt) in method.Optimizers) context.Log($"lr/{group}", opt.param_groups[0].lr);
    }

    /// <summary>Calls a callback with the state of now; the labelled splits come in a fresh <see cref="EvaluationData"/>, since the encoder has changed since the last call.</summary>
    private void Call(Action<TrainingState> hook, TrainBatch? batch)
    {
        using var data = evaluation.Data();
        hook(new TrainingState(context, Plan, method.Representation, batch, data, () => evaluation.Run(method.Representation)));
    }

    /// <summary>The method's PNG grids for this epoch, in eval mode without gradient; every module's mode is put back as it was.</summary>
    private void SaveGrids(int epoch)
    {
        if (method is not ISampleGrids sampler || !context.Records) return;
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        using var modes = ModuleModes.Eval(method.Modules.Values);
        var x = train.Images.slice(0, 0, Math.Min(sampler.SampleInputs, train.Count)).to(context.Device, ScalarType.Float32) / 255.0;
        foreach (var grid in sampler.Grids(x))
        {
            // A signal leaves the grids not yet written unwritten (each one is written whole or not at all).
            if (context.Stopping.IsCancellationRequested) return;
            context.SaveArtifact($"samples/{grid.Name}/epoch-{epoch + 1:D3}.png", Images.EncodePng(Images.Grid(grid.Images, grid.Columns)));
        }
    }
}
