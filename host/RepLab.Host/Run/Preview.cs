using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// <c>replab preview</c>: a PNG grid with one row per image: the original, then each view of the
/// experiment's pipelines. The images and their views are those of training's first step: the
/// pipelines run on the whole first batch with step 0's generators (per-sample draws depend on the
/// batch size), and the grid shows its first images.
/// </summary>
internal static class Preview
{
    public static string Write(ExperimentSpec spec, string output, int count, int zoom = 3)
    {
        if (spec.Views.Count == 0) throw new ArgumentException("the experiment has no 'views:' to preview");
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(spec.Seed);
        using var train = DataPlan.Pretraining(spec.Dataset.As<IDataset>(), spec.Data);
        foreach (var warning in RunAssembly.ViewWarnings(spec, train.Shape.Channels)) Console.Error.WriteLine($"replab: warning: {warning}");
        // Training's first batch itself: epoch 0's order over the (limited) set, step 0's generators.
        var n = TrainingPlans.Images(spec.Trainer, train.Count);
        var loader = new BatchLoader(train, null, n, (int)Math.Min(spec.Trainer.BatchSize, n), 1, RunAssembly.Pipelines(spec), Device.CPU, spec.Seed, (0, 1));
        var (_, _, first) = loader.Epoch(0, 0, 0, 1).Single();
        using var loaded = first;
        var batch = loaded.Batch;
        var shown = Math.Min(count, loaded.Count);
        var columns = new List<Tensor> { batch.Original.slice(0, 0, shown) };
        columns.AddRange(batch.Views.Select(v => v.slice(0, 0, shown)));
        // Interleave so that each row holds one image and its views.
        var grid = torch.stack(columns, 1).flatten(0, 1);
        if (zoom > 1) grid = F.interpolate(grid, scale_factor: zoom);
        var full = Path.GetFullPath(output);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, Images.EncodePng(Images.Grid(grid, columns.Count)));
        return full;
    }
}
