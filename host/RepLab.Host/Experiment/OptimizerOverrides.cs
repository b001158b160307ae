using RepLab.Abstractions;
using RepLab.Config;

namespace RepLab.Host.Experiment;

/// <summary>
/// The experiment's <c>optimizer:</c> (every group) and <c>optimizers: { group: ... }</c> sections: settings
/// laid over a method's paper defaults for a group. The settings themselves, their YAML names, checks and
/// docs, are declared once, by the SDK's <see cref="OptimizerDefaults"/>.
/// </summary>
public sealed class OptimizerOverrides
{
    private readonly ConfigNode? all;
    private readonly IReadOnlyDictionary<string, ConfigNode> groups;

    /// <param name="all">The <c>optimizer:</c> section, or null.</param>
    /// <param name="groups">Each <c>optimizers:</c> entry, by group.</param>
    public OptimizerOverrides(ConfigNode? all, IReadOnlyDictionary<string, ConfigNode> groups)
    {
        this.all = all;
        this.groups = groups;
    }

    /// <summary>No overrides: every group takes its defaults.</summary>
    public static OptimizerOverrides None { get; } = new(null, new Dictionary<string, ConfigNode>());

    /// <summary>Group <paramref name="group"/>'s settings: its own entry, else <c>optimizer:</c>, over <paramref name="defaults"/>.</summary>
    public OptimizerDefaults For(string group, OptimizerDefaults defaults) =>
        groups.TryGetValue(group, out var own) ? OptionsBinder.BindOver(defaults, own, $"optimizers.{group}")
        : all is not null ? OptionsBinder.BindOver(defaults, all, "optimizer")
        : defaults;

    /// <summary>Checks <paramref name="node"/> (at <paramref name="keyPath"/>) as overrides of any group, before the method's defaults are known.</summary>
    /// <exception cref="ConfigException">Every unknown key, wrong type or bad value, located.</exception>
    public static void Check(ConfigNode node, string keyPath) => OptionsBinder.BindOver(new OptimizerDefaults(OptimizerKind.Sgd, 0), node, keyPath);

    /// <summary>A group's resolved settings on one line, for the run's tags: the optimizer, the lr, and every setting that differs from a fresh record's default.</summary>
    public static string Describe(OptimizerDefaults s)
    {
        var fresh = new OptimizerDefaults(s.Kind, s.Lr);
        var parts = new List<string> { OptionsBinder.FormatValue(s.Kind), $"lr {OptionsBinder.FormatValue(s.Lr)}" };
        foreach (var (property, key) in OptionNames.Properties(typeof(OptimizerDefaults)).Where(p => p.Property.Name is not (nameof(OptimizerDefaults.Kind) or nameof(OptimizerDefaults.Lr))))
        {
            var value = OptionsBinder.FormatValue(property.GetValue(s));
            if (value != OptionsBinder.FormatValue(property.GetValue(fresh))) parts.Add($"{key} {value}");
        }
        return string.Join(", ", parts);
    }
}
