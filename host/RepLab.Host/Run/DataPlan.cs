using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Config;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// The <c>data:</c> section at run time: the pretraining set (one or several splits), the sets the
/// evaluators fit and score on, and the encoder's input normalisation.
/// </summary>
internal static class DataPlan
{
    /// <summary>The pretraining splits, concatenated; the labels of the labelled ones are kept, -1 standing for the others' (STL-10's train + unlabeled).</summary>
    public static ImageSet Pretraining(IDataset dataset, DataOptions data)
    {
        var set = Concatenated(dataset, data);
        if (data.TrainClasses is null) return set;
        using (set) return OfClasses(set, data.TrainClasses);
    }

    /// <summary>The images of <paramref name="set"/> whose label is one of <paramref name="classes"/> (<c>data.train-classes</c>).</summary>
    public static ImageSet OfClasses(ImageSet set, IReadOnlyCollection<int> classes)
    {
        if (set.Labels is null) throw new InvalidDataException($"data.train-classes: the pretraining split {set.Name} has no labels to choose classes by");
        var missing = classes.Where(c => c >= set.Classes).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"data.train-classes: {string.Join(", ", missing)} not among the {set.Classes} classes of {set.Name} (0 to {set.Classes - 1})");
        var labels = set.Labels.data<long>();
        var keep = Enumerable.Range(0, labels.Length).Where(i => classes.Contains((int)labels[i])).Select(i => (long)i).ToArray();
        if (keep.Length == 0) throw new InvalidDataException($"data.train-classes: {set.Name} has no image of classes {string.Join(", ", classes)}");
        using var scope = torch.NewDisposeScope();
        var index = torch.tensor(keep, keep.Length);
        var restricted = new ImageSet(set.Images.index_select(0, index), set.Labels.index_select(0, index), set.Classes, $"{set.Name}[classes {string.Join(",", classes)}]")
            { ClassNames = set.ClassNames };
        Console.WriteLine($"replab: training on {restricted.Count:N0} images of classes {string.Join(", ", classes)} (data.train-classes)");
        return restricted;
    }

    private static ImageSet Concatenated(IDataset dataset, DataOptions data)
    {
        if (data.PretrainSplits is [var only]) return Load(dataset, only);
        var sets = data.PretrainSplits.Select(split => Load(dataset, split)).ToList();
        try
        {
            var shapes = sets.Select(s => s.Shape).Distinct().ToList();
            if (shapes.Count > 1)
                throw new InvalidDataException($"data.pretrain-splits: the splits have different image shapes ({string.Join(", ", sets.Select(s => $"{s.Name} {s.Shape}"))})");
            using var scope = torch.NewDisposeScope();
            var images = torch.cat(sets.Select(s => s.Images).ToList());
            var labels = sets.Any(s => s.Labels is not null)
                ? torch.cat(sets.Select(s => s.Labels ?? torch.full([s.Count], ImageSet.Unlabelled, ScalarType.Int64)).ToList())
                : null;
            return new ImageSet(images, labels, labels is null ? 0 : sets.Max(s => s.Classes), string.Join("+", sets.Select(s => s.Name)))
                { ClassNames = sets.Select(s => s.ClassNames).FirstOrDefault(n => n is not null) };
        }
        finally
        {
            foreach (var s in sets) s.Dispose();
        }
    }

    /// <summary>
    /// The training labels a method may see: the pretraining set's, with all but a seeded, stratified
    /// <c>data.train-label-fraction</c> of each class replaced by -1; null when the set has none.
    /// </summary>
    public static Tensor? TrainingLabels(ImageSet pretraining, DataOptions data, ulong seed)
    {
        if (pretraining.Labels is null || data.TrainLabelFraction <= 0) return null;
        return data.TrainLabelFraction >= 1 ? pretraining.Labels.alias() : Subsets.KeepFraction(pretraining.Labels, data.TrainLabelFraction, seed);
    }

    /// <summary>One split, with a line saying what was loaded and how long it took (decoding a large folder takes a while).</summary>
    private static ImageSet Load(IDataset dataset, string split)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var set = dataset.Load(split);
        Console.WriteLine($"replab: loaded {set.Name}: {set.Count:N0} images of {set.Shape}{(set.Labels is null ? ", no labels" : $", {set.Classes} classes")} in {clock.Elapsed.TotalSeconds:F1} s");
        return set;
    }

    /// <summary>
    /// The sets evaluators fit on (the probe split, or its stratified labelled fraction) and score on
    /// (the test split, or the probe split with a warning when the dataset has none). Reuses
    /// <paramref name="pretraining"/> when it is the probe split; disposes what it loaded.
    /// </summary>
    public static EvaluationSets Evaluation(IDataset dataset, ExperimentSpec spec, ImageSet pretraining)
    {
        var (data, seed) = (spec.Data, spec.Seed);
        var owned = new List<ImageSet>();
        var probe = data.PretrainSplits is [var only] && only == data.ProbeSplit ? pretraining : Own(Load(dataset, data.ProbeSplit));
        if (probe.Labels is null)
        {
            foreach (var set in owned) set.Dispose();
            var node = spec.Config.Get("data.probe-split");
            throw new ConfigException([new ConfigError(node?.Location ?? spec.Config.Root.Location, "data.probe-split",
                $"{probe.Name} has no labels to fit evaluators on; name a labelled split (splits: {string.Join(", ", dataset.Splits)})")]);
        }
        ImageSet test;
        if (dataset.Splits.Contains(data.TestSplit)) test = Own(Load(dataset, data.TestSplit));
        else
        {
            Console.Error.WriteLine($"replab: warning: dataset has no '{data.TestSplit}' split: the evaluators score on {probe.Name}, the split they fit on, so their numbers measure fit, not generalisation (set data.test-split)");
            test = probe;
        }
        if (data.LabelFraction < 1) probe = Own(Subsets.Stratified(probe, data.LabelFraction, seed));
        return new EvaluationSets(probe, test, owned);

        ImageSet Own(ImageSet set)
        {
            owned.Add(set);
            return set;
        }
    }

    /// <summary>
    /// The encoder's per-channel input mean and std, or null for <c>normalize: none</c>; checks
    /// configured values against the images' channels (exit 2 with the key's location otherwise).
    /// </summary>
    public static (double[] Mean, double[] Std)? Normalization(ExperimentSpec spec, ImageSet pretraining)
    {
        var data = spec.Data;
        var channels = pretraining.Shape.Channels;
        switch (data.Normalize)
        {
            case InputNormalization.None:
                return null;
            case InputNormalization.Auto:
                var (mean, std) = Subsets.ChannelStatistics(pretraining);
                if (std.Any(v => v <= 0))
                    throw new InvalidDataException($"data.normalize: auto: a channel of {pretraining.Name} is constant (std 0); set normalize: fixed with mean and std");
                return (mean, std);
            default:
                foreach (var (key, values) in new[] { ("mean", data.Mean!), ("std", data.Std!) })
                    if (values.Length != channels)
                    {
                        var node = spec.Config.Get($"data.{key}");
                        throw new ConfigException([new ConfigError(node?.Location ?? spec.Config.Root.Location, $"data.{key}",
                            $"{values.Length} values for {pretraining.Name}'s {channels} channel{(channels == 1 ? "" : "s")}: give one per channel")]);
                    }
                return (data.Mean!, data.Std!);
        }
    }
}

/// <summary>The evaluators' fit and score sets, and what must be disposed with them.</summary>
internal sealed class EvaluationSets(ImageSet probe, ImageSet test, IReadOnlyList<ImageSet> owned) : IDisposable
{
    public ImageSet Probe { get; } = probe;
    public ImageSet Test { get; } = test;

    public void Dispose()
    {
        foreach (var s in owned) s.Dispose();
    }
}
