using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Jigsaw;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Jigsaw;

public class JigsawTests
{
    [Fact]
    public void The_permutation_set_is_deterministic_for_a_seed_and_reaches_the_minimum_hamming_distance()
    {
        var a = PermutationSet.MaximalHamming(100, 9, seed: 4);
        var b = PermutationSet.MaximalHamming(100, 9, seed: 4);
        a.Should().HaveCount(100);
        a.Zip(b).Should().OnlyContain(p => p.First.SequenceEqual(p.Second), "the same seed gives the same set");
        PermutationSet.MaximalHamming(100, 9, seed: 5)[0].Should().NotEqual(a[0], "another seed starts elsewhere");
        a.Should().OnlyContain(p => p.OrderBy(i => i).SequenceEqual(Enumerable.Range(0, 9)), "each is a permutation of the 9 tiles");
        a.Select(p => string.Join(",", p)).Distinct().Should().HaveCount(100);
        PermutationSet.MinimumDistance(a).Should().BeGreaterThanOrEqualTo(6, "the greedy choice keeps 100 of the 362,880 permutations 6 or more apart");
        // The greedy choice never does worse than a random set of the same size.
        var rng = new Random(0);
        var random = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, 9).OrderBy(_ => rng.Next()).ToArray()).ToArray();
        PermutationSet.MinimumDistance(a).Should().BeGreaterThan(PermutationSet.MinimumDistance(random));
    }

    [Fact]
    public void Building_fails_when_the_set_cannot_reach_the_requested_distance()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => MethodKit.Build(new JigsawMethod(new JigsawOptions { Permutations = 200, MinHamming = 9, HiddenDim = 8 }));
        act.Should().Throw<ArgumentException>().WithMessage("*min-hamming 9*");
        var method = MethodKit.Build(new JigsawMethod(new JigsawOptions { Permutations = 30, MinHamming = 7, HiddenDim = 8 }));
        PermutationSet.MinimumDistance(method.PermutationsInUse.ToList()).Should().BeGreaterThanOrEqualTo(7);
    }

    [Fact]
    public void Tiles_come_from_their_grid_cells_in_row_order()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new JigsawMethod(new JigsawOptions { Permutations = 10, HiddenDim = 8, TileFraction = 0.7 }));
        // A 27x27 image whose 9x9 cell t holds the value t / 10 everywhere.
        var cells = new float[27 * 27];
        for (var y = 0; y < 27; y++)
            for (var x = 0; x < 27; x++) cells[y * 27 + x] = (y / 9 * 3 + x / 9) / 10f;
        var image = torch.tensor(cells, 1, 1, 27, 27);
        var tiles = method.Cut(torch.cat([image, image]));
        tiles.shape.Should().Equal([9L, 2, 1, 27, 27], "each tile resized to the image's size");
        for (var t = 0; t < 9; t++)
            // The outermost 3 pixels of a tile may blend in the neighbouring cell (bilinear sampling at the box's edge).
            tiles[t].slice(2, 3, 24).slice(3, 3, 24).allclose(torch.full([2, 1, 21, 21], t / 10.0), 0, 1e-6).Should().BeTrue($"tile {t} comes from cell {t}");
    }

    [Fact]
    public void A_step_classifies_the_permutation_of_nine_tiles_through_the_shared_encoder()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new JigsawMethod(new JigsawOptions { Permutations = 12, HiddenDim = 16 }));
        var x = torch.rand([4, 1, 28, 28]);
        var context = new RecordingRunContext();
        method.Step(new TrainBatch([], x, null, torch.arange(4), []), context);
        context.Logged["train/jigsaw-accuracy"].Should().BeInRange(0, 1);
        using var ng = torch.no_grad();
        method.Classify(method.Cut(x), torch.tensor(new long[] { 0, 3, 11, 5 }, 4)).shape.Should().Equal([4L, 12]);
    }
}
