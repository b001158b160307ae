using RepLab.Config;
using RepLab.Tracking;

namespace RepLab.Sweeps;

/// <summary>One resolved, validated trial of a sweep.</summary>
/// <param name="Point">Its index and settings.</param>
/// <param name="Config">Its resolved config (the experiment without <c>sweep:</c>, its settings applied).</param>
/// <param name="Id">Its config hash's first 16 digits: its run folder's name and its identity across sweeps.</param>
/// <param name="Overrides">The command-line overrides that give this config from the experiment file.</param>
/// <param name="RunFolder">Its run folder, <c>RUNS/NAME/ID</c>, as <c>replab run</c> makes it.</param>
/// <param name="Experiment">The MLflow experiment its run goes to.</param>
public sealed record SweepTrial(TrialPoint Point, ResolvedConfig Config, string Id, IReadOnlyList<string> Overrides, string RunFolder, string Experiment)
{
    public int Index => Point.Index;

    /// <summary>The MLflow run name: the experiment's name and the trial's settings.</summary>
    public string RunName(string experimentName) =>
        Point.Assignments.Count == 0 ? experimentName : $"{experimentName} {string.Join(" ", Point.Assignments)}";
}

/// <summary>
/// A sweep expanded into trials, each resolved and bound as <c>replab run</c> would (so a bad value in
/// trial 37 is refused before anything starts, with the sweep file's line), each identified by its hash.
/// </summary>
public sealed class SweepPlan
{
    public required string File { get; init; }
    public required IReadOnlyList<string> UserOverrides { get; init; }
    public required SweepDefinition Definition { get; init; }
    public required IReadOnlyList<SweepTrial> Trials { get; init; }

    /// <summary>The name of the experiment (every trial's, since the sweep may not change it).</summary>
    public required string ExperimentName { get; init; }

    /// <summary>The base experiment's tracking URI setting (the sweep's parent run goes where its trials go).</summary>
    public required string TrackingUri { get; init; }

    /// <summary>The sweep's folder: <c>RUNS/_sweeps/NAME</c>.</summary>
    public required string Folder { get; init; }

    public static string SweepsFolder(string runsRoot) => Path.Combine(Path.GetFullPath(runsRoot), "_sweeps");

    /// <summary>Expands, resolves and validates every trial of <paramref name="file"/>'s sweep.</summary>
    /// <exception cref="ConfigException">Every problem of every trial, each prefixed with its trial.</exception>
    public static SweepPlan Build(string file, IReadOnlyList<string> overrides, ISweepHost host, string runsRoot)
    {
        var full = Path.GetFullPath(file);
        var baseConfig = ExperimentLoader.Load(full, overrides);
        var definition = SweepDefinition.Parse(baseConfig, full);
        var trials = new List<SweepTrial>();
        var errors = new List<ConfigError>();
        string? experimentName = null;
        var tracking = "";
        foreach (var point in definition.Points)
        {
            IEnumerable<ConfigError> InTrial(IEnumerable<ConfigError> es) =>
                es.Select(e => e with { Message = $"trial {point.Index} ({point.Describe()}): {e.Message}" });
            try
            {
                var parsed = point.Assignments.Select(a =>
                    new ConfigOverride(baseConfig.Get(a.Path) is null ? OverrideKind.Add : OverrideKind.Set, a.Path, a.Value, a.Value.Location)).ToList();
                var config = ExperimentLoader.Load(full, overrides, parsed).WithoutSection("sweep");
                var spec = host.Bind(config);
                if (experimentName is not null && spec.Name != experimentName)
                    throw ConfigException.At(config.Get("name")!.Location, "name", $"a sweep's trials share the experiment's name '{experimentName}'; sweep other keys");
                experimentName ??= spec.Name;
                tracking = spec.TrackingUri;
                var texts = overrides.Concat(point.Assignments.Select(a => (baseConfig.Get(a.Path) is null ? "+" : "") + a)).ToList();
                var id = config.ShortHash();
                trials.Add(new SweepTrial(point, config, id, texts, RunRecords.For(runsRoot, spec.Name, id).Folder, spec.Experiment));
            }
            catch (ConfigException e)
            {
                errors.AddRange(InTrial(e.Errors));
                if (errors.Count >= 50) break;  // the same mistake in every trial: the first ones say enough
            }
        }
        if (errors.Count > 0) throw new ConfigException(errors);
        foreach (var clash in trials.GroupBy(t => t.Id).Where(g => g.Count() > 1))
            errors.Add(new ConfigError(definition.Section.Location, "sweep",
                $"trials {string.Join(" and ", clash.Select(t => t.Index))} resolve to the same config ({clash.Key}): {string.Join("; ", clash.Select(t => t.Point.Describe()))}"));
        if (errors.Count > 0) throw new ConfigException(errors);
        return new SweepPlan
        {
            File = full, UserOverrides = overrides, Definition = definition, Trials = trials, ExperimentName = experimentName!,
            TrackingUri = tracking, Folder = Path.Combine(SweepsFolder(runsRoot), RunRecords.SafeName(definition.Name)),
        };
    }
}
