using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using RepLab.Torch;

namespace RepLab.Host.Conformance;

/// <summary>
/// Builds one method as the host does (the host's encoder and optimizer factories, the declared
/// defaults) on synthetic data and runs its steps on batches that depend on the step alone.
/// </summary>
internal sealed class MethodHarness
{
    private const int BatchSize = 16;

    public MethodHarness(PluginRegistry registry, string name, ImageSet data, ulong seed)
    {
        Data = data;
        torch.manual_seed(seed);
        Method = registry.Create<IMethod>(name);
        var plan = new TrainingPlan(2, 4, 8, BatchSize);
        Context = new RecordingRunContext { Plan = plan };
        var encoders = new EncoderFactory(registry.Create<IEncoder>("conv-small"), data.Shape, null, Device.CPU);
        Method.Build(new MethodSetup(encoders.Build(), encoders, data.Shape, data.Classes, Device.CPU, plan, OptimizerFactory.Defaults(name, Method.Needs, plan)));
        // The host's own guard: what a run would refuse, the kit fails with the same words.
        var hidden = CheckpointCoverage.Problem(Method, name);
        Expect.That(hidden is null, hidden ?? "");
    }

    public IMethod Method { get; }

    public ImageSet Data { get; }

    public RecordingRunContext Context { get; }

    /// <summary>The batch of <paramref name="step"/>: images, flipped and shifted views, view labels, and labels with every fourth one hidden.</summary>
    public static TrainBatch Batch(ImageSet data, long step, MethodNeeds needs)
    {
        var start = step * BatchSize % (data.Count - BatchSize);
        var x = data.Images.slice(0, start, start + BatchSize).to(ScalarType.Float32) / 255.0;
        var views = Enumerable.Range(0, needs.Views).Select(v => v % 2 == 0 ? x.flip([3]) : (x * 0.9 + 0.05)).ToList();
        var viewLabels = Enumerable.Range(0, needs.Views).Select(v => (Tensor?)(torch.arange(BatchSize) % 4)).ToList();
        var labels = data.Labels!.slice(0, start, start + BatchSize).clone();
        using (var hidden = torch.arange(BatchSize) % 4)
            labels = labels.masked_fill(hidden.eq(0), -1);
        return new TrainBatch(views, x, labels, torch.arange(start, start + BatchSize, dtype: ScalarType.Int64), viewLabels);
    }

    public void Steps(long from, long to)
    {
        for (var step = from; step < to; step++)
        {
            using var scope = torch.NewDisposeScope();
            Context.GlobalStep = step;
            Method.Step(Batch(Data, step, Method.Needs), Context);
        }
    }

    /// <summary>How many state tensors the method's optimizers hold.</summary>
    public long OptimizerStateTensors()
    {
        using var scope = torch.NewDisposeScope();
        return Method.Optimizers.Values.Sum(o => (long)o.state_dict().tensors.Count);
    }

    public void Save(string path, long step) => Checkpoint.Save(path, Method.Modules, Method.Optimizers, new TrainingPosition(0, (int)step, step));

    public long Load(string path) => Checkpoint.Load(path, Method.Modules, Method.Optimizers).GlobalStep;

    /// <summary>Every module's state and every optimizer's state tensors, by checkpoint key.</summary>
    public Dictionary<string, Tensor> State()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, m) in Method.Modules)
            foreach (var (k, t) in m.state_dict()) state[$"module.{name}.{k}"] = t;
        foreach (var (group, o) in Method.Optimizers)
            foreach (var (k, t) in o.state_dict().tensors) state[$"optim.{group}.{k}"] = t;
        return state;
    }

    /// <summary>The <c>resume</c> check: four steps straight equal two steps, a checkpoint, a method built from other random weights that loads it, and two more steps.</summary>
    public static void Resume(PluginRegistry r, PluginDescriptor d, string builtInsHint)
    {
        using var scope = torch.NewDisposeScope();
        using var data = Exercises.Synthetic(r, "train", builtInsHint);
        var dir = Directory.CreateTempSubdirectory("replab-conformance-").FullName;
        try
        {
            var path = Path.Combine(dir, "last.safetensors");
            var straight = new MethodHarness(r, d.Name, data, seed: 5);
            straight.Steps(0, 4);
            var first = new MethodHarness(r, d.Name, data, seed: 5);
            first.Steps(0, 2);
            first.Save(path, 2);
            var resumed = new MethodHarness(r, d.Name, data, seed: 99);  // other random weights: the checkpoint must hold everything
            Expect.That(resumed.Load(path) == 2, "the checkpoint restores the step it was saved at");
            resumed.Steps(2, 4);
            var after = resumed.State();
            foreach (var (name, t) in straight.State())
            {
                Expect.That(after.ContainsKey(name), $"{name} is in the uninterrupted run's state but not in the resumed one's");
                Expect.That(after[name].equal(t), $"{name} after resuming from step 2 differs from the uninterrupted run's at step 4: " +
                    "state that changes in training is missing from the checkpoint (register every stateful module with Add, every optimizer with Optimize)");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>A method's exercise: the representation is checkpointed, optimizers belong to declared groups, steps train it, log finite losses and leave no live tensor handles behind.</summary>
internal static class MethodExercise
{
    public static void Run(PluginRegistry r, PluginDescriptor d, ImageSet data)
    {
        var harness = new MethodHarness(r, d.Name, data, seed: 0);
        var method = harness.Method;
        var checkpointed = method.Modules.Values.SelectMany(m => m.parameters()).ToHashSet(ReferenceEqualityComparer.Instance);
        Expect.That(method.Representation.parameters().All(checkpointed.Contains), "the representation is checkpointed with the method (one of Modules holds it)");
        var undeclared = method.Optimizers.Keys.Except(method.Needs.OptimizerGroups.Keys).ToList();
        Expect.That(undeclared.Count == 0, $"optimizer groups {string.Join(", ", undeclared)} are not declared in Needs.OptimizerGroups");
        var before = Fingerprint.Of(method.Representation);
        harness.Steps(0, 2);
        // Optimizer state is made lazily (a stage that starts training later gets its moments then): it is not a leak.
        // Finalizers of handles leaked earlier (a safety net) would change the count mid-check: run them first.
        long Live()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return torch.live_tensors - harness.OptimizerStateTensors();
        }
        var live = Live();
        harness.Steps(2, 5);
        var grown = Live() - live;
        Expect.That(grown == 0, $"three training steps left {grown} more live tensor handles (dispose intermediates, or scope them with torch.NewDisposeScope)");
        Expect.That(harness.Context.Logged.Keys.Any(k => k.StartsWith("loss/", StringComparison.Ordinal)), "a method logs its loss terms (loss/...)");
        var nonFinite = harness.Context.Logged.Where(kv => !double.IsFinite(kv.Value)).Select(kv => kv.Key).ToList();
        Expect.That(nonFinite.Count == 0, $"logged values are finite (not: {string.Join(", ", nonFinite)})");
        Expect.That(Fingerprint.Of(method.Representation) != before, "training steps update the representation");
        if (method is not ISampleGrids grids) return;
        using var inputs = data.Images.slice(0, 0, grids.SampleInputs).to(ScalarType.Float32) / 255.0;
        using var modes = ModuleModes.Eval(method.Modules.Values);
        using var ng = torch.no_grad();
        var made = grids.Grids(inputs);
        Expect.That(made.Count > 0 && made.All(g => g.Images.dim() == 4 && g.Columns > 0), "sample grids are 4-dimensional image batches with columns");
    }
}

/// <summary>
/// An executor runs command lines to their end and tells how each ended: exit 0 succeeds, exit 3
/// fails with its code, and a long one cancelled while running is reported cancelled.
/// </summary>
internal static class ExecutorExercise
{
    public static void Run(PluginRegistry r, PluginDescriptor d)
    {
        var dir = Directory.CreateTempSubdirectory("replab-executor-").FullName;
        try
        {
            var trials = new[] { "exit 0", "exit 3", "sleep 120" }
                .Select((command, i) => new TrialLaunch(i, $"trial{i}", [command], Path.Combine(dir, "logs", $"{i}.log"))).ToList();
            var launch = new SweepLaunch("conformance", dir, "/bin/sh", ["-c"], dir, trials, 3, 3);
            var updates = new System.Collections.Concurrent.ConcurrentQueue<TrialUpdate>();
            using var cancel = new CancellationTokenSource();
            var executor = r.Create<ISweepExecutor>(d.Name);
            var worker = Task.Run(() => executor.Execute(launch, u =>
            {
                updates.Enqueue(u);
                var last = updates.GroupBy(x => x.Index).ToDictionary(g => g.Key, g => g.Last().State);
                if (last.GetValueOrDefault(0) == TrialState.Succeeded && last.GetValueOrDefault(1) == TrialState.Failed && last.GetValueOrDefault(2) == TrialState.Running)
                    cancel.Cancel();
            }, cancel.Token));
            Expect.That(worker.Wait(TimeSpan.FromSeconds(90)), $"returns once its trials ended (updates: {string.Join("; ", updates)})");
            var final = updates.GroupBy(u => u.Index).ToDictionary(g => g.Key, g => g.Last());
            Expect.That(final.GetValueOrDefault(0)?.State == TrialState.Succeeded, "a trial that exits 0 succeeds");
            Expect.That(final.GetValueOrDefault(1) is { State: TrialState.Failed, ExitCode: 3 }, "a trial that exits 3 fails with exit code 3");
            Expect.That(final.GetValueOrDefault(2)?.State == TrialState.Cancelled, "a trial cancelled while it ran is reported cancelled");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
