using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;
using RepLab.Sweeps;

namespace RepLab.Host.Experiment;

/// <summary>The host's side of a sweep: trials bound as <c>replab run</c> binds them, executors from the plugin registry.</summary>
/// <param name="dryBuilds">The method dry builds to share (validate's, which built the base config's already); a new set when null.</param>
internal sealed class SweepHost(PluginRegistry registry, MethodDryBuilds? dryBuilds = null) : ISweepHost
{
    /// <summary>The dry builds of the trials' methods, one per distinct method configuration.</summary>
    public MethodDryBuilds DryBuilds { get; } = dryBuilds ?? new MethodDryBuilds(registry);

    public TrialBinding Bind(ResolvedConfig config)
    {
        var spec = ExperimentSpec.Bind(config, registry);
        DryBuilds.Check(spec);
        return new TrialBinding(spec.Name, spec.TrackingExperiment, spec.Tracking.Uri);
    }

    public (string Name, ISweepExecutor Executor) Executor(ConfigNode? configured, string? chosen)
    {
        var names = registry.Names(PluginKind.Executor).ToList();
        var configuredName = configured is null ? "local" : PluginSubtree.PluginName(configured, "sweep.executor", names, "executor");
        var name = chosen ?? configuredName;
        var d = registry.Find(PluginKind.Executor, name)
            ?? throw new ArgumentException($"no executor '{name}'{DidYouMean.Hint(name, names)}; executors: {string.Join(", ", names)}");
        var options = configured is not null && name == configuredName
            ? (PluginOptions)PluginSubtree.BindOptions(d.OptionsType, configured, "sweep.executor")
            : null;
        return (name, (ISweepExecutor)registry.Create(d, options));
    }
}
