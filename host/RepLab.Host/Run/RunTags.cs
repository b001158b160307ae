using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>The tags every run carries beside the tracker's standard ones: the libtorch version and each chosen plugin with its version.</summary>
internal static class RunTags
{
    /// <summary>The experiment's own tags; the tracker adds the standard ones (config hash, RepLab version with its commit, MLflow's).</summary>
    public static Dictionary<string, string> Of(ExperimentSpec spec)
    {
        var tags = new Dictionary<string, string> { ["replab.libtorch"] = torch.version };
        var chosen = new[] { spec.Dataset, spec.Encoder, spec.Method }.OfType<PluginChoice>()
            .Concat(spec.Evaluation).Concat(spec.Callbacks).Concat(spec.Views.SelectMany(v => v));
        foreach (var c in chosen) tags[$"replab.plugin.{c.KeyPath}"] = $"{c.Descriptor.Name}@{c.Descriptor.Version}";
        return tags;
    }
}
