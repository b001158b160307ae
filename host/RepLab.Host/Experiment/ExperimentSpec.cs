using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;

namespace RepLab.Host.Experiment;

/// <summary>A plugin chosen in the experiment: its descriptor, its bound options, and the one instance the run uses.</summary>
public sealed record PluginChoice(PluginDescriptor Descriptor, PluginOptions Options, string KeyPath, IPlugin Plugin)
{
    /// <summary>The plugin as its kind's interface.</summary>
    public T As<T>() where T : class, IPlugin => (T)Plugin;
}

/// <summary>
/// A resolved experiment bound to typed parts: every plugin subtree to its options record and its
/// plugin, constructed once, and the host's own sections to their records. All validation happens
/// in <see cref="Bind"/>, before any tensor is made; every problem is reported together with file,
/// line, column and key path.
/// </summary>
public sealed class ExperimentSpec
{
    /// <summary>The top-level sections an experiment may have.</summary>
    internal static readonly string[] Sections =
        ["name", "seed", "dataset", "data", "encoder", "method", "optimizer", "optimizers", "views", "trainer", "evaluation", "callbacks", "tracking", "plugins", "sweep"];

    public required ResolvedConfig Config { get; init; }
    public required string Name { get; init; }
    public required ulong Seed { get; init; }
    public required PluginChoice Dataset { get; init; }
    public required PluginChoice Encoder { get; init; }
    public PluginChoice? Method { get; init; }
    public required IReadOnlyList<IReadOnlyList<PluginChoice>> Views { get; init; }
    public required IReadOnlyList<PluginChoice> Evaluation { get; init; }
    public required IReadOnlyList<PluginChoice> Callbacks { get; init; }

    /// <summary>What the method declared it needs (null without a method).</summary>
    public MethodNeeds? Needs { get; init; }
    public required TrainerOptions Trainer { get; init; }
    public required DataOptions Data { get; init; }
    public required TrackingOptions Tracking { get; init; }

    /// <summary>The <c>optimizer:</c> and <c>optimizers:</c> sections, over the method's defaults.</summary>
    public required OptimizerOverrides Optimizers { get; init; }

    /// <summary>Where the experiment names its method (the <c>method:</c> section), for errors the built method causes.</summary>
    public SourceLocation MethodLocation => Config.Get(Method?.KeyPath ?? "method")?.Location ?? Config.Root.Location;

    /// <summary>The MLflow experiment the run goes to: <c>tracking.experiment</c>, else the dataset plugin's name.</summary>
    public string TrackingExperiment => string.IsNullOrEmpty(Tracking.Experiment) ? Dataset.Descriptor.Name : Tracking.Experiment;

    /// <summary>Every chosen plugin, in the order of the file's sections.</summary>
    public IEnumerable<PluginChoice> Plugins() =>
        new[] { Dataset, Encoder, Method }.OfType<PluginChoice>().Concat(Evaluation).Concat(Callbacks).Concat(Views.SelectMany(v => v));

    /// <summary>Extra plugin folders named in the experiment (<c>plugins:</c>), relative to the experiment file.</summary>
    /// <exception cref="ConfigException">A folder that does not exist (a plugin built elsewhere, Debug instead of Release), with its file and line.</exception>
    public static IReadOnlyList<string> PluginFolders(ResolvedConfig config)
    {
        if (config.Get("plugins") is not ConfigList list) return [];
        var folders = list.Items.OfType<ConfigScalar>().Select((s, i) =>
            (s, i, path: Path.GetFullPath(s.Value, Path.GetDirectoryName(Path.GetFullPath(s.Location.File)) ?? "."))).ToList();
        var missing = folders.Where(f => !Directory.Exists(f.path))
            .Select(f => new ConfigError(f.s.Location, $"plugins.{f.i}", $"plugin folder '{f.s.Value}' does not exist (looked for {f.path}); build the plugin, or point at the folder its build wrote"))
            .ToList();
        if (missing.Count > 0) throw new ConfigException(missing);
        return folders.Select(f => f.path).ToList();
    }

    /// <summary>Binds <paramref name="config"/>: each part by its binder, then every validator over the whole.</summary>
    /// <exception cref="ConfigException">Every problem found, located.</exception>
    public static ExperimentSpec Bind(ResolvedConfig config, PluginRegistry registry)
    {
        var b = new ExperimentBinder(config, registry);
        b.Report(ExperimentValidators.UnknownSections(config));
        var dataset = b.Choose("dataset", PluginKind.Dataset, required: true);
        var encoder = b.Choose("encoder", PluginKind.Encoder, required: true);
        var method = b.Choose("method", PluginKind.Method, required: false);
        var views = b.Views();
        var evaluation = b.ChooseList("evaluation", PluginKind.Evaluator);
        var callbacks = b.ChooseList("callbacks", PluginKind.Callback);
        var trainer = b.Section<TrainerOptions>("trainer");
        var data = b.Section<DataOptions>("data");
        b.Report(ExperimentValidators.Splits(config, dataset, data, evaluation.Count > 0));
        var tracking = b.Section<TrackingOptions>("tracking");
        var needs = method?.As<IMethod>().Needs;
        var optimizers = b.Optimizers(method, needs);
        var seed = b.Seed();
        b.Report(ExperimentValidators.ViewCount(config, method, needs, views.Count));
        b.ThrowIfAny();
        return new ExperimentSpec
        {
            Config = config, Name = ExperimentBinder.Name(config), Seed = seed, Dataset = dataset!, Encoder = encoder!, Method = method, Views = views,
            Evaluation = evaluation, Callbacks = callbacks, Needs = needs, Trainer = trainer, Data = data, Tracking = tracking, Optimizers = optimizers,
        };
    }
}
