using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Xml.Linq;
using FluentAssertions;
using RepLab.Blocks;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Conformance;

/// <summary>The live-handle count is process-wide: these tests run alone.</summary>
[CollectionDefinition(nameof(LiveHandles), DisableParallelization = true)]
public sealed class LiveHandles;

/// <summary>
/// One test over every plugin the host discovers, built-in or loaded from a third-party folder (the
/// SDK fixtures), so a new plugin is tested the day it is added: options bind from defaults and
/// from YAML and are documented; one exercise per kind on synthetic data; a method's steps leave no
/// live handles behind and its checkpoint resumes bitwise; an evaluator's metrics are the ones it
/// declares, within their ranges.
/// </summary>
[Collection(nameof(LiveHandles))]
public class PluginConformanceTests
{
    public static TheoryData<string> Ids => new(Repo.AllPlugins.Catalog.Plugins.Select(p => p.Id));

    private static PluginRegistry R => Repo.AllPlugins;

    private static PluginDescriptor Get(string id) => R.Catalog.Plugins.Single(p => p.Id == id);

    [Fact]
    public void Every_plugin_loads_and_the_fixtures_cover_every_kind()
    {
        R.Catalog.Failures.Should().BeEmpty();
        R.Names(PluginKind.Encoder).Should().Contain(["conv-small", "dcgan-discriminator", "resnet18-cifar"]);
        R.Names(PluginKind.Dataset).Should().Contain(["synthetic", "idx"]);
        R.Names(PluginKind.Evaluator).Should().Contain(["linear-probe", "knn"]);
        R.Names(PluginKind.Callback).Should().Contain("online-probe-fixture");
        R.Names(PluginKind.Method).Should().Contain(["autoencoder", "denoising-autoencoder", "vae", "dcgan", "layerwise-autoencoder", "ema-fixture", "noise-fixture"]);
        R.Names(PluginKind.Evaluator).Should().Contain("fine-tune");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Defaults_bind_and_validate_and_every_option_is_documented(string id)
    {
        var d = Get(id);
        d.Attribute.Summary.Should().NotBeNullOrWhiteSpace($"{id} needs a one-line summary");
        var options = Activator.CreateInstance(d.OptionsType)!;
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)
            .Should().BeTrue(string.Join("; ", results.Select(r => r.ErrorMessage)));
        var xml = Path.ChangeExtension(d.AssemblyPath, ".xml");
        File.Exists(xml).Should().BeTrue("plugins ship their XML docs for `replab plugins`");
        var documented = XDocument.Load(xml).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();
        foreach (var p in d.OptionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.DeclaringType == d.OptionsType))
            documented.Should().Contain($"P:{d.OptionsType.FullName}.{p.Name}", $"{id} option {p.Name} needs a doc comment");
        var instance = d.OptionsType == typeof(NoOptions) ? Activator.CreateInstance(d.Type) : Activator.CreateInstance(d.Type, options);
        instance.Should().NotBeNull();
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Options_bind_from_yaml_to_the_same_values_as_the_defaults(string id)
    {
        var d = Get(id);
        var defaults = Activator.CreateInstance(d.OptionsType)!;
        // Every top-level option written out at its default, as a user would copy it from `replab plugins`.
        var rows = OptionsDescriber.Describe(d.OptionsType).Where(r => !r.Key.Contains('.') && r.Default is not ("" or "null")).ToList();
        var yaml = $"plugin: {d.Name}\n" + string.Join("", rows.Select(r => $"{r.Key}: {(r.Default.StartsWith('[') ? r.Default : Quote(r.Default))}\n"));
        var bound = PluginSubtree.BindOptions(d.OptionsType, ConfigYaml.Parse(yaml, "conformance.yaml"), d.Kind.Yaml());
        var empty = PluginSubtree.BindOptions(d.OptionsType, ConfigYaml.Parse($"plugin: {d.Name}\n", "conformance.yaml"), d.Kind.Yaml());
        foreach (var (property, key) in OptionNames.Properties(d.OptionsType))
        {
            var want = OptionsBinder.FormatValue(property.GetValue(defaults));
            OptionsBinder.FormatValue(property.GetValue(bound)).Should().Be(want, $"{id}: {key} written at its default binds back to it");
            OptionsBinder.FormatValue(property.GetValue(empty)).Should().Be(want, $"{id}: {key} left out takes its default");
        }

        static string Quote(string s) => double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out _) || s is "true" or "false" ? s : $"\"{s}\"";
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void A_tiny_exercise_runs_on_synthetic_data(string id)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var d = Get(id);
        using var data = R.Create<IDataset>("synthetic").Load("train");
        switch (d.Kind)
        {
            case PluginKind.Encoder:
                ExerciseEncoder(d, data);
                break;
            case PluginKind.Dataset:
                ExerciseDataset(d);
                break;
            case PluginKind.Augmentation:
                ExerciseAugmentation(d, data);
                break;
            case PluginKind.Evaluator:
                ExerciseEvaluator(d, data);
                break;
            case PluginKind.Callback:
                ExerciseCallback(d, data);
                break;
            case PluginKind.Method:
                ExerciseMethod(d, data);
                break;
            case PluginKind.Executor:
                ExerciseExecutor(d);
                break;
            default:
                throw new InvalidOperationException($"no conformance exercise for {d.Kind} yet: add one");
        }
    }

    [Theory]
    [MemberData(nameof(MethodIds))]
    public void A_method_checkpointed_mid_training_resumes_bitwise_equal_to_an_uninterrupted_run(string id)
    {
        using var scope = torch.NewDisposeScope();
        using var data = R.Create<IDataset>("synthetic").Load("train");
        var dir = Directory.CreateTempSubdirectory("replab-conformance-").FullName;
        try
        {
            var path = Path.Combine(dir, "last.safetensors");
            var straight = new MethodHarness(R, Get(id).Name, data, seed: 5);
            straight.Steps(0, 4);
            var first = new MethodHarness(R, Get(id).Name, data, seed: 5);
            first.Steps(0, 2);
            first.Save(path, 2);
            var resumed = new MethodHarness(R, Get(id).Name, data, seed: 99);  // built from other random weights: the checkpoint must hold everything
            resumed.Load(path).Should().Be(2);
            resumed.Steps(2, 4);
            foreach (var (name, t) in straight.State())
                resumed.State()[name].equal(t).Should().BeTrue($"{id}: {name} after resuming equals the uninterrupted run's");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string> MethodIds => new(Repo.AllPlugins.Catalog.Plugins.Where(p => p.Kind == PluginKind.Method).Select(p => p.Id));

    private static void ExerciseEncoder(PluginDescriptor d, ImageSet data)
    {
        using var encoder = R.Create<IEncoder>(d.Name).Build(data.Shape);
        using var x = data.Images.slice(0, 0, 8).to(ScalarType.Float32) / 255.0;
        using var y = encoder.forward(x);
        y.shape.Should().Equal(8, encoder.Features);
        if (encoder.Stages.Count == 0)
        {
            encoder.Invoking(e => e.FeatureMaps(x)).Should().Throw<NotSupportedException>();
            return;
        }
        // Through the host's normalising wrapper too: stages and maps are forwarded.
        using var wrapped = new NormalizedEncoder(encoder, Enumerable.Repeat(0.5, data.Shape.Channels).ToArray(), Enumerable.Repeat(0.25, data.Shape.Channels).ToArray());
        wrapped.Stages.Should().Equal(encoder.Stages);
        var maps = wrapped.FeatureMaps(x);
        maps.Should().HaveCount(encoder.Stages.Count);
        for (var i = 0; i < maps.Count; i++)
        {
            maps[i].dim().Should().Be(4, $"stage {encoder.Stages[i].Name} yields a feature map");
            maps[i].size(1).Should().Be(encoder.Stages[i].Channels);
        }
        using var direct = encoder.FeatureMaps((x - 0.5) / 0.25)[^1];
        maps[^1].allclose(direct).Should().BeTrue("the wrapper normalises before the stages");
        encoder.Stages.SelectMany(s => s.Module.parameters()).Should().OnlyContain(p => encoder.parameters().Contains(p), "stages are the encoder's own layers");
    }

    private static void ExerciseDataset(PluginDescriptor d)
    {
        var dataset = R.Create<IDataset>(d.Name);
        dataset.Splits.Should().Contain("train");
        ImageSet set;
        try
        {
            set = dataset.Load(dataset.Splits.Contains("test") ? "test" : "train");
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Datasets without a Debian package (CIFAR, STL-10, a user's image folder) default to a
            // path that is absent on a fresh machine; what the exercise can check then is that the
            // user learns which file or folder is expected, not a stack trace.
            e.Message.Should().StartWith($"{d.Name}").And.Contain("expected").And.Contain("/");
            return;
        }
        using (set)
        {
            set.Images.dtype.Should().Be(ScalarType.UInt8);
            set.Images.dim().Should().Be(4);
            set.Count.Should().BePositive();
        }
    }

    /// <summary>
    /// Every augmentation: the batch keeps its dtype, size and channels; pixels stay in [0, 1] (an
    /// <see cref="IRescalingAugmentation"/> only stays finite); the same seed gives the same output and
    /// the input is left alone; with a probability option <c>p</c>, p = 0 changes nothing.
    /// </summary>
    private static void ExerciseAugmentation(PluginDescriptor d, ImageSet data)
    {
        using var scope = torch.NewDisposeScope();
        var gray = data.Images.slice(0, 0, 16).to(ScalarType.Float32) / 255.0;
        foreach (var x in new[] { gray, torch.cat([gray, gray.flip([3]), 1 - gray], 1) })
        {
            var before = x.clone();
            var augmentation = R.Create<IAugmentation>(d.Name);
            Tensor Run(IAugmentation a, ulong seed)
            {
                using var g = new Generator(seed);
                return a.Apply(x, g);
            }
            var y = Run(augmentation, 7);
            y.dtype.Should().Be(ScalarType.Float32, $"{d.Id} keeps the dtype");
            y.shape.Take(2).Should().Equal(x.shape.Take(2), $"{d.Id} keeps the batch size and channels");
            if (augmentation is IRescalingAugmentation) y.isfinite().all().item<bool>().Should().BeTrue($"{d.Id}'s output is finite");
            else
            {
                y.min().item<float>().Should().BeGreaterThanOrEqualTo(0, $"{d.Id} keeps pixels in [0, 1]");
                y.max().item<float>().Should().BeLessThanOrEqualTo(1, $"{d.Id} keeps pixels in [0, 1]");
            }
            Run(augmentation, 7).equal(y).Should().BeTrue($"{d.Id}: the same seed gives the same views");
            x.equal(before).Should().BeTrue($"{d.Id} leaves its input alone");
            if (d.OptionsType.GetProperty("P") is not { } p) continue;
            var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
            p.SetValue(options, 0.0);
            Run(R.Create<IAugmentation>(d.Name, options), 7).allclose(x, rtol: 0, atol: 1e-6).Should().BeTrue($"{d.Id} with p = 0 is the identity");
        }
    }

    private static void ExerciseEvaluator(PluginDescriptor d, ImageSet data)
    {
        using var test = R.Create<IDataset>("synthetic").Load("test");
        using var encoder = R.Create<IEncoder>("conv-small").Build(data.Shape);
        var before = Fingerprint.Of(encoder);
        var context = new RecordingRunContext();
        var evaluator = R.Create<IEvaluator>(d.Name);
        using var evaluation = new EvaluationData(data, test);
        var metrics = evaluator.Evaluate(encoder, evaluation, context);
        metrics.Keys.Should().BeEquivalentTo(evaluator.Metrics.Select(m => m.Key), "an evaluator returns exactly the metrics it declares");
        foreach (var range in evaluator.Metrics)
            metrics[range.Key].Should().BeInRange(range.Min, range.Max, $"{range.Key} lies in its declared range");
        context.Logged.Keys.Should().Contain(metrics.Keys);
        // MLflow's file store keeps a metric as a file named by its key: no key may be another's folder.
        context.Logged.Keys.Should().NotContain(k => context.Logged.Keys.Any(other => other.StartsWith(k + "/", StringComparison.Ordinal)));
        Fingerprint.Of(encoder).Should().Be(before, "evaluation leaves the encoder untouched");
        encoder.parameters().Should().OnlyContain(p => p.grad == null);
    }

    /// <summary>
    /// An executor runs command lines to their end and tells how each ended: exit 0 succeeds, exit 3
    /// fails with its code, and a long one cancelled while running is reported cancelled.
    /// </summary>
    private static void ExerciseExecutor(PluginDescriptor d)
    {
        if (d.Name == "slurm") Plugins.Executors.Slurm.SlurmCluster.EnsureUp();
        var dir = Directory.CreateTempSubdirectory("replab-executor-").FullName;
        try
        {
            var trials = new[] { "exit 0", "exit 3", "sleep 120" }
                .Select((command, i) => new TrialLaunch(i, $"trial{i}", [command], Path.Combine(dir, "logs", $"{i}.log"))).ToList();
            var launch = new SweepLaunch("conformance", dir, "/bin/sh", ["-c"], dir, trials, 3, 3);
            var updates = new System.Collections.Concurrent.ConcurrentQueue<TrialUpdate>();
            using var cancel = new CancellationTokenSource();
            var executor = R.Create<ISweepExecutor>(d.Name);
            var worker = Task.Run(() => executor.Execute(launch, u =>
            {
                updates.Enqueue(u);
                var last = updates.GroupBy(x => x.Index).ToDictionary(g => g.Key, g => g.Last().State);
                if (last.GetValueOrDefault(0) == TrialState.Succeeded && last.GetValueOrDefault(1) == TrialState.Failed && last.GetValueOrDefault(2) == TrialState.Running)
                    cancel.Cancel();
            }, cancel.Token));
            worker.Wait(TimeSpan.FromSeconds(90)).Should().BeTrue($"{d.Id} returns once its trials ended (updates: {string.Join("; ", updates)})");
            var final = updates.GroupBy(u => u.Index).ToDictionary(g => g.Key, g => g.Last());
            final[0].State.Should().Be(TrialState.Succeeded);
            final[1].State.Should().Be(TrialState.Failed);
            final[1].ExitCode.Should().Be(3);
            final[2].State.Should().Be(TrialState.Cancelled, "the sleeping trial was cancelled while it ran");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void ExerciseCallback(PluginDescriptor d, ImageSet data)
    {
        using var test = R.Create<IDataset>("synthetic").Load("test");
        using var encoder = R.Create<IEncoder>("conv-small").Build(data.Shape);
        var callback = R.Create<ITrainingCallback>(d.Name);
        var context = new RecordingRunContext();
        var before = Fingerprint.Of(encoder);
        using var evaluation = callback.NeedsEvaluationData ? new EvaluationData(data, test) : null;
        var stateful = callback as IStatefulCallback;
        stateful?.Build(new CallbackSetup(encoder, data.Shape, data.Classes, Device.CPU, context.Plan));
        var stateBefore = stateful?.Modules.Values.Select(Fingerprint.Of).ToList();
        for (var step = 0; step < 2; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            context.GlobalStep = step;
            var batch = MethodHarness.Batch(data, step, new MethodNeeds { TrainingLabels = true });
            callback.OnStepEnd(new TrainingState(context, context.Plan, encoder, batch, evaluation, () => new Dictionary<string, double>()));
        }
        callback.OnEpochEnd(new TrainingState(context, context.Plan, encoder, null, evaluation, () => new Dictionary<string, double>()));
        context.Logged.Values.Should().OnlyContain(v => double.IsFinite(v));
        if (stateful is not null)
        {
            context.Logged.Should().NotBeEmpty("a callback with state of its own reports what it does");
            stateful.Modules.Values.Select(Fingerprint.Of).Should().NotEqual(stateBefore, "its state is trained");
        }
        Fingerprint.Of(encoder).Should().Be(before, "a callback leaves the representation untouched");
        encoder.named_modules().Should().OnlyContain(m => m.module.training, "a callback restores the modes it changes");
    }

    private static void ExerciseMethod(PluginDescriptor d, ImageSet data)
    {
        var harness = new MethodHarness(R, d.Name, data, seed: 0);
        var method = harness.Method;
        var representationParams = method.Representation.parameters().ToList();
        var checkpointed = method.Modules.Values.SelectMany(m => m.parameters()).ToHashSet(ReferenceEqualityComparer.Instance);
        representationParams.Should().OnlyContain(p => checkpointed.Contains(p), "the representation is checkpointed with the method");
        method.Optimizers.Keys.Should().BeSubsetOf(method.Needs.OptimizerGroups.Keys, "optimizers belong to declared groups");
        var before = Fingerprint.Of(method.Representation);
        harness.Steps(0, 2);
        // Optimizer state is made lazily (a stage that starts training later gets its moments then): it is not a leak.
        // Finalizers of handles earlier tests leaked (a safety net) would change the count mid-test: run them first.
        long Live()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return torch.live_tensors - harness.OptimizerStateTensors();
        }
        var live = Live();
        harness.Steps(2, 5);
        Live().Should().Be(live, "training steps leave no tensor handles behind");
        harness.Context.Logged.Keys.Should().Contain(k => k.StartsWith("loss/"), "a method logs its loss terms");
        harness.Context.Logged.Values.Should().OnlyContain(v => double.IsFinite(v));
        Fingerprint.Of(method.Representation).Should().NotBe(before, "training steps update the representation");
        if (method is ISampleGrids grids)
        {
            using var inputs = data.Images.slice(0, 0, grids.SampleInputs).to(ScalarType.Float32) / 255.0;
            using var modes = ModuleModes.Eval(method.Modules.Values);
            using var ng = torch.no_grad();
            grids.Grids(inputs).Should().NotBeEmpty().And.OnlyContain(g => g.Images.dim() == 4 && g.Columns > 0);
        }
    }
}

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
}
