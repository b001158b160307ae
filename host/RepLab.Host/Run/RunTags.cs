using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>The tags every run carries: config hash, versions, and each chosen plugin with its version.</summary>
internal static class RunTags
{
    public static Dictionary<string, string> Of(ExperimentSpec spec)
    {
        var tags = new Dictionary<string, string>
        {
            ["replab.config_hash"] = spec.Config.Hash(),
            ["replab.version"] = typeof(RunTags).Assembly.GetName().Version?.ToString() ?? "0",
            ["replab.libtorch"] = torch.version,
        };
        var chosen = new[] { spec.Dataset, spec.Encoder, spec.Method }.OfType<PluginChoice>()
            .Concat(spec.Evaluation).Concat(spec.Callbacks).Concat(spec.Views.SelectMany(v => v));
        foreach (var c in chosen) tags[$"replab.plugin.{c.KeyPath}"] = $"{c.Descriptor.Name}@{c.Descriptor.Version}";
        return tags;
    }
}
