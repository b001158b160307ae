using RepLab.Abstractions;
using RepLab.Config;

namespace RepLab.Host.Experiment;

/// <summary>
/// The checks of an experiment that look across its parts; each yields located errors and none
/// throws, so one pass reports every mistake (as BenchmarkDotNet's validators do).
/// </summary>
internal static class ExperimentValidators
{
    /// <summary>Top-level keys that are no section, with a did-you-mean.</summary>
    public static IEnumerable<ConfigError> UnknownSections(ResolvedConfig config) =>
        config.Root.Entries.Where(e => !ExperimentSpec.Sections.Contains(e.Key)).Select(entry =>
            new ConfigError(entry.KeyLocation, entry.Key,
                $"unknown section '{entry.Key}'{DidYouMean.Hint(entry.Key, ExperimentSpec.Sections)}; expected one of: {string.Join(", ", ExperimentSpec.Sections)}"));

    /// <summary>
    /// The split names of <c>data:</c> against the dataset's, before any image is loaded; the test
    /// split may be absent unless named (a warning at run time).
    /// </summary>
    public static IEnumerable<ConfigError> Splits(ResolvedConfig config, PluginChoice? dataset, DataOptions data, bool evaluates)
    {
        if (dataset is null) yield break;
        var splits = dataset.As<IDataset>().Splits;
        var named = data.PretrainSplits.Select(s => (split: s, key: "data.pretrain-splits"))
            .Concat(evaluates ? [(data.ProbeSplit, "data.probe-split")] : [])
            .Concat(config.Get("data.test-split") is not null ? [(data.TestSplit, "data.test-split")] : []);
        foreach (var (split, key) in named.Where(n => !splits.Contains(n.split)))
            yield return new ConfigError(config.Get(key)?.Location ?? config.Root.Location, key,
                $"dataset '{dataset.Descriptor.Name}' has no split '{split}'{DidYouMean.Hint(split, splits)}; it has: {string.Join(", ", splits)}");
    }

    /// <summary>At least as many view pipelines as the method needs.</summary>
    public static IEnumerable<ConfigError> ViewCount(ResolvedConfig config, PluginChoice? method, MethodNeeds? needs, int views)
    {
        if (method is not null && needs is not null && needs.Views > views)
            yield return new ConfigError(config.Get("method")!.Location, "views",
                $"method '{method.Descriptor.Name}' needs {needs.Views} augmented views, the experiment lists {views}: add pipelines under 'views:'");
    }
}
