using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// <c>replab preview</c>: a PNG grid with one row per image: the original, then each view of the
/// experiment's pipelines, drawn with the same per-step generators training uses (step 0).
/// </summary>
internal static class Preview
{
    public static string Write(ExperimentSpec spec, PluginRegistry registry, string output, int count, int zoom = 3)
    {
        if (spec.Views.Count == 0) throw new ArgumentException("the experiment has no 'views:' to preview");
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(spec.Seed);
        using var train = registry.Create<IDataset>(spec.Dataset.Descriptor.Name, spec.Dataset.Options).Load("train");
        foreach (var warning in Runner.ChannelWarnings(spec, registry, train.Shape.Channels)) Console.Error.WriteLine($"replab: warning: {warning}");
        using var pick = new Generator(Runner.Mix(spec.Seed, 0));
        var index = torch.randperm(train.Count, generator: pick).slice(0, 0, Math.Min(count, train.Count));
        var x = train.Images.index_select(0, index).to(ScalarType.Float32) / 255.0;
        var columns = new List<Tensor> { x };
        for (var v = 0; v < spec.Views.Count; v++)
        {
            using var g = new Generator(Runner.ViewSeed(spec.Seed, 0, v));
            var y = x;
            foreach (var a in spec.Views[v]) y = registry.Create<IAugmentation>(a.Descriptor.Name, a.Options).Apply(y, g);
            columns.Add(y);
        }
        // Interleave so that each row holds one image and its views.
        var grid = torch.stack(columns, 1).flatten(0, 1);
        if (zoom > 1) grid = F.interpolate(grid, scale_factor: zoom);
        var full = Path.GetFullPath(output);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, Images.EncodePng(Images.Grid(grid, columns.Count)));
        return full;
    }
}
