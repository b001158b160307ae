using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations;

/// <summary>
/// Data-parallel views: two processes that each augment half of a global batch inside their
/// <see cref="BatchSlice"/>, with a generator from the same seed, make exactly the views one process makes of the
/// whole batch. Every augmentation is per sample (no batch statistic), so the equality is exact, on the built-ins
/// loaded through the registry (their own load contexts, as a run loads them) and on every shipped view pipeline.
/// </summary>
public class SlicedViewsTests
{
    /// <summary>Images each of the two processes holds.</summary>
    private const long Local = 6;

    private static readonly BatchSlice[] Halves = [new(0, Local, 2 * Local), new(Local, Local, 2 * Local)];

    /// <summary>Every registered augmentation, read from the registry.</summary>
    public static TheoryData<string> All => new(Repo.BuiltIns.Catalog.Plugins
        .Where(p => p.Kind == PluginKind.Augmentation).Select(p => p.Name).Order(StringComparer.Ordinal));

    /// <summary>
    /// The view (and labels) of <paramref name="x"/> made whole, and made by the two processes from their halves
    /// and joined, each with the pipeline's own generator from <paramref name="seed"/>, as the loader makes a view.
    /// </summary>
    private static ((Tensor View, Tensor? Labels) Whole, (Tensor View, Tensor? Labels) Joined) WholeAndHalves(
        IReadOnlyList<IAugmentation> pipeline, Tensor x, ulong seed)
    {
        var whole = BatchLoader.ApplyPipeline(pipeline, x, seed);
        var parts = Halves.Select(s =>
        {
            using (BatchSlice.Enter(s)) return BatchLoader.ApplyPipeline(pipeline, x.narrow(0, s.Offset, s.Count), seed);
        }).ToList();
        var labels = whole.Labels is null ? null : torch.cat(parts.Select(p => p.Labels!).ToList());
        return (whole, (torch.cat(parts.Select(p => p.View).ToList()), labels));
    }

    private static void ShouldBeTheSame(((Tensor View, Tensor? Labels) Whole, (Tensor View, Tensor? Labels) Joined) made, string because)
    {
        made.Joined.View.shape.Should().Equal(made.Whole.View.shape, because);
        made.Joined.View.equal(made.Whole.View).Should().BeTrue(because);
        if (made.Whole.Labels is { } labels) made.Joined.Labels!.equal(labels).Should().BeTrue(because);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Halves_augmented_in_their_slices_are_the_whole_batch_augmented_at_once(string name)
    {
        using var scope = torch.NewDisposeScope();
        // 20 pixels: blur's default kernel has 3 taps; square for rotate90.
        var x = Uniform([2 * Local, 3, 20, 20], 5);
        // Its defaults (some samples take the step, some not), and p = 1; normalize has no p.
        var settings = new List<(string, object)[]> { Array.Empty<(string, object)>() };
        if (name != "normalize") settings.Add([("P", 1.0)]);
        foreach (var options in settings)
        {
            var made = WholeAndHalves([Create(name, options)], x, seed: 17);
            ShouldBeTheSame(made, $"{name} with {string.Join(", ", options)}");
            if (name != "normalize" && options.Length > 0)
                made.Whole.View.equal(x).Should().BeFalse($"{name} at p = 1 changes the batch, so the comparison is not vacuous");
        }
    }

    /// <summary>Every experiment shipped under experiments/ that lists views (the shared pieces under base/ aside).</summary>
    public static TheoryData<string> ExperimentsWithViews => new(((IEnumerable<object[]>)ShippedExperimentsTests.Experiments)
        .Select(row => (string)row[0])
        .Where(e => File.ReadAllText(Path.Combine(Repo.Root, e)).Contains("views")));

    [Theory]
    [MemberData(nameof(ExperimentsWithViews))]
    public void Every_view_of_a_shipped_experiment_is_the_same_made_by_two_processes(string experiment)
    {
        using var scope = torch.NewDisposeScope();
        var spec = ExperimentSpec.Bind(ExperimentLoader.Load(Path.Combine(Repo.Root, experiment)), Repo.BuiltIns);
        var pipelines = spec.Views.Select(v => v.Select(c => (IAugmentation)c.Plugin).ToList()).ToList();
        if (pipelines.Count == 0) return;
        foreach (var (channels, side) in new[] { (1, 28), (3, 32) })
        {
            var x = Uniform([2 * Local, channels, side, side], 6);
            for (var v = 0; v < pipelines.Count; v++)
                ShouldBeTheSame(WholeAndHalves(pipelines[v], x, SeedStreams.View(spec.Seed, step: 3, v)), $"{experiment}, view {v}, {channels}x{side}x{side}");
        }
    }
}
