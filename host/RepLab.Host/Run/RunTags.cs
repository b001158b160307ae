using RepLab.Host.Experiment;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>The tags every run carries beside the tracker's standard ones: the libtorch version and each chosen plugin with its version.</summary>
internal static class RunTags
{
    /// <summary>The experiment's own tags; the tracker adds the standard ones (config hash, RepLab version with its commit, MLflow's).</summary>
    public static Dictionary<string, string> Of(ExperimentSpec spec)
    {
        var tags = new Dictionary<string, string> { [TagNames.Libtorch] = torch.version };
        foreach (var c in spec.Plugins()) tags[TagNames.Plugin(c.KeyPath)] = $"{c.Descriptor.Name}@{c.Descriptor.Version}";
        return tags;
    }
}
