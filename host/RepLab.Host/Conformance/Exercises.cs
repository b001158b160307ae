using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using RepLab.Torch;

namespace RepLab.Host.Conformance;

/// <summary>One tiny exercise per plugin kind, on the built-in <c>synthetic</c> dataset.</summary>
internal sealed class Exercises(PluginRegistry r, string builtInsHint)
{
    public void Run(PluginDescriptor d)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var data = Synthetic(r, "train", builtInsHint);
        switch (d.Kind)
        {
            case PluginKind.Encoder: Encoder(d, data); break;
            case PluginKind.Dataset: Dataset(d); break;
            case PluginKind.Augmentation: Augmentation(d, data); break;
            case PluginKind.Evaluator: Evaluator(d, data); break;
            case PluginKind.Callback: Callback(d, data); break;
            case PluginKind.Method: MethodExercise.Run(r, d, data); break;
            case PluginKind.Executor: ExecutorExercise.Run(r, d); break;
            default: throw new ConformanceException($"no conformance exercise for {d.Kind} yet");
        }
    }

    /// <summary>A split of the built-in synthetic dataset, or a failure naming where the built-ins were looked for.</summary>
    internal static ImageSet Synthetic(PluginRegistry r, string split, string builtInsHint)
    {
        Expect.That(r.Find(PluginKind.Dataset, "synthetic") is not null && r.Find(PluginKind.Encoder, "conv-small") is not null,
            $"the exercises need the built-in synthetic dataset and conv-small encoder, which are not loaded: {builtInsHint}");
        return r.Create<IDataset>("synthetic").Load(split);
    }

    private void Encoder(PluginDescriptor d, ImageSet data)
    {
        using var encoder = r.Create<IEncoder>(d.Name).Build(data.Shape);
        using var x = data.Images.slice(0, 0, 8).to(ScalarType.Float32) / 255.0;
        using var y = encoder.forward(x);
        Expect.That(y.shape.SequenceEqual(new long[] { 8, encoder.Features }), $"the features of 8 images have shape [{string.Join(", ", y.shape)}], not [8, {encoder.Features}] (Features)");
        if (encoder.Stages.Count == 0)
        {
            Expect.That(Throws<NotSupportedException>(() => encoder.FeatureMaps(x)), "an encoder without stages throws NotSupportedException from FeatureMaps");
            return;
        }
        // Through the host's normalising wrapper too: stages and maps are forwarded.
        using var wrapped = new NormalizedEncoder(encoder, Enumerable.Repeat(0.5, data.Shape.Channels).ToArray(), Enumerable.Repeat(0.25, data.Shape.Channels).ToArray());
        Expect.That(wrapped.Stages.SequenceEqual(encoder.Stages), "the normalising wrapper forwards the stages");
        var maps = wrapped.FeatureMaps(x);
        Expect.That(maps.Count == encoder.Stages.Count, $"FeatureMaps yields {maps.Count} maps for {encoder.Stages.Count} stages");
        for (var i = 0; i < maps.Count; i++)
        {
            Expect.That(maps[i].dim() == 4, $"stage {encoder.Stages[i].Name} yields a feature map (4 dimensions, not {maps[i].dim()})");
            Expect.That(maps[i].size(1) == encoder.Stages[i].Channels, $"stage {encoder.Stages[i].Name} yields {maps[i].size(1)} channels, not the {encoder.Stages[i].Channels} it declares");
        }
        using var direct = encoder.FeatureMaps((x - 0.5) / 0.25)[^1];
        Expect.That(maps[^1].allclose(direct), "the wrapper normalises before the stages");
        var own = encoder.parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        Expect.That(encoder.Stages.SelectMany(s => s.Module.parameters()).All(own.Contains), "stages are the encoder's own layers");
    }

    private void Dataset(PluginDescriptor d)
    {
        var dataset = r.Create<IDataset>(d.Name);
        Expect.That(dataset.Splits.Contains("train"), $"the splits ({string.Join(", ", dataset.Splits)}) include train");
        ImageSet set;
        var split = dataset.Splits.Contains("test") ? "test" : "train";
        try
        {
            set = dataset.Load(split);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // A dataset whose default path is absent on a fresh machine (CIFAR, STL-10, a user's
            // folder): what can be checked is that the user learns which file or folder is expected.
            Expect.That(e.Message.StartsWith(d.Name, StringComparison.Ordinal) && e.Message.Contains("expected") && e.Message.Contains('/'),
                $"a missing file's message starts with '{d.Name}' and names the path expected (got: {e.Message})");
            return;
        }
        using (set)
        {
            Expect.That(set.Images.dtype == ScalarType.UInt8, $"images are uint8, not {set.Images.dtype}");
            Expect.That(set.Images.dim() == 4, $"images are [N, C, H, W], not {set.Images.dim()}-dimensional");
            Expect.That(set.Count > 0, "the split holds images");
            // What the run records as the set's source and classes (MLflow's dataset inputs) is true of it.
            var sources = dataset.SourceOf(split);
            Expect.That(sources.All(p => File.Exists(p) || Directory.Exists(p)), $"the files SourceOf names for {split} exist ({string.Join(", ", sources)})");
            Expect.That(set.ClassNames is null || set.ClassNames.Count == set.Classes, $"ClassNames, when given, name each of the {set.Classes} classes (got {set.ClassNames?.Count})");
        }
    }

    /// <summary>
    /// The batch keeps its dtype, size and channels; pixels stay in [0, 1] (an
    /// <see cref="IRescalingAugmentation"/> only stays finite); the same seed gives the same output and
    /// the input is left alone; with a probability option <c>p</c>, p = 0 changes nothing.
    /// </summary>
    private void Augmentation(PluginDescriptor d, ImageSet data)
    {
        using var scope = torch.NewDisposeScope();
        var gray = data.Images.slice(0, 0, 16).to(ScalarType.Float32) / 255.0;
        foreach (var x in new[] { gray, torch.cat([gray, gray.flip([3]), 1 - gray], 1) })
        {
            var before = x.clone();
            var augmentation = r.Create<IAugmentation>(d.Name);
            Tensor Apply(IAugmentation a, ulong seed)
            {
                using var g = new Generator(seed);
                return a.Apply(x, g);
            }
            var y = Apply(augmentation, 7);
            var c = x.size(1);
            Expect.That(y.dtype == ScalarType.Float32, $"a batch of {c} channels: the dtype is kept (got {y.dtype})");
            Expect.That(y.shape.Take(2).SequenceEqual(x.shape.Take(2)), $"a batch of {c} channels: the batch size and channels are kept (got [{string.Join(", ", y.shape)}])");
            if (augmentation is IRescalingAugmentation) Expect.That(y.isfinite().all().item<bool>(), "the output is finite");
            else Expect.That(y.min().item<float>() >= 0 && y.max().item<float>() <= 1, $"a batch of {c} channels: pixels stay in [0, 1] (got [{y.min().item<float>()}, {y.max().item<float>()}])");
            Expect.That(Apply(augmentation, 7).equal(y), "the same seed gives the same views");
            Expect.That(x.equal(before), "the input is left alone");
            if (d.OptionsType.GetProperty("P") is not { } p) continue;
            var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
            p.SetValue(options, 0.0);
            Expect.That(Apply(r.Create<IAugmentation>(d.Name, options), 7).allclose(x, rtol: 0, atol: 1e-6), "with p = 0 it is the identity");
        }
    }

    /// <summary>The metrics are exactly those declared, each within its declared range, logged under keys no other key nests in; the encoder is left untouched.</summary>
    private void Evaluator(PluginDescriptor d, ImageSet data)
    {
        using var test = r.Create<IDataset>("synthetic").Load("test");
        using var encoder = r.Create<IEncoder>("conv-small").Build(data.Shape);
        var before = Fingerprint.Of(encoder);
        var context = new RecordingRunContext();
        var evaluator = r.Create<IEvaluator>(d.Name);
        using var evaluation = new EvaluationData(data, test);
        var metrics = evaluator.Evaluate(encoder, evaluation, context);
        var declared = evaluator.Metrics.Select(m => m.Key).ToHashSet();
        Expect.That(declared.SetEquals(metrics.Keys), $"the metrics returned ({string.Join(", ", metrics.Keys)}) are exactly those declared in Metrics ({string.Join(", ", declared)})");
        foreach (var range in evaluator.Metrics)
            Expect.That(metrics[range.Key] >= range.Min && metrics[range.Key] <= range.Max, $"{range.Key} = {metrics[range.Key]} lies outside its declared range [{range.Min}, {range.Max}]");
        var unlogged = metrics.Keys.Where(k => !context.Logged.ContainsKey(k)).ToList();
        Expect.That(unlogged.Count == 0, $"the metrics are logged too (not: {string.Join(", ", unlogged)})");
        // MLflow's file store keeps a metric as a file named by its key: no key may be another's folder.
        var nested = context.Logged.Keys.Where(k => context.Logged.Keys.Any(o => o.StartsWith(k + "/", StringComparison.Ordinal))).ToList();
        Expect.That(nested.Count == 0, $"no logged key is another's folder (MLflow keeps a metric as a file): {string.Join(", ", nested)}");
        Expect.That(Fingerprint.Of(encoder) == before, "evaluation leaves the encoder untouched");
        Expect.That(encoder.parameters().All(p => p.grad is null), "evaluation leaves no gradient on the encoder");
    }

    private void Callback(PluginDescriptor d, ImageSet data)
    {
        using var test = r.Create<IDataset>("synthetic").Load("test");
        using var encoder = r.Create<IEncoder>("conv-small").Build(data.Shape);
        var callback = r.Create<ITrainingCallback>(d.Name);
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
        Expect.That(context.Logged.Values.All(double.IsFinite), "what it logs is finite");
        if (stateful is not null)
        {
            Expect.That(context.Logged.Count > 0, "a callback with state of its own reports what it does");
            Expect.That(!stateful.Modules.Values.Select(Fingerprint.Of).SequenceEqual(stateBefore!), "its state is trained");
        }
        Expect.That(Fingerprint.Of(encoder) == before, "a callback leaves the representation untouched");
        Expect.That(encoder.named_modules().All(m => m.module.training), "a callback restores the modes it changes");
    }

    private static bool Throws<T>(Action action) where T : Exception
    {
        try { action(); }
        catch (T) { return true; }
        return false;
    }
}
