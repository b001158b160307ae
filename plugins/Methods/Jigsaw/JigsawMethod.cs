using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Plugins.Methods.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Jigsaw;

/// <summary>Options of the <c>jigsaw</c> method (defaults: the paper's).</summary>
public sealed record JigsawOptions : PluginOptions
{
    /// <summary>Permutations of the 9 tiles the network tells apart (the paper's 1000).</summary>
    [Range(2, 10_000)]
    public int Permutations { get; init; } = 1000;

    /// <summary>The least Hamming distance any two permutations of the set must have; building fails when the set cannot reach it.</summary>
    [Range(1, 9)]
    public int MinHamming { get; init; } = 2;

    /// <summary>Seed of the permutation set (not the run's seed: a set is part of the task, the same in every run).</summary>
    [Range(0, int.MaxValue)]
    public int PermutationSeed { get; init; } = 0;

    /// <summary>Side of a tile as a fraction of its grid cell; the rest is the random gap (the paper's 64 of 75 pixels).</summary>
    [Range(0.1, 1.0)]
    public double TileFraction { get; init; } = 64.0 / 75;

    /// <summary>Hidden width of the permutation classifier over the 9 concatenated tile features.</summary>
    [Range(1, 65536)]
    public int HiddenDim { get; init; } = 1024;

    /// <summary>Dropout before the classifier's last layer (the paper's fc layers use 0.5).</summary>
    [Range(0.0, 0.99)]
    public double Dropout { get; init; } = 0.5;

    /// <summary>SGD lr (the paper's 0.01, momentum 0.9, weight decay 5e-4).</summary>
    [Range(1e-8, 100.0)]
    public double Lr { get; init; } = 0.01;

    /// <summary>Weight decay (5e-4).</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 5e-4;
}

/// <summary>
/// A set of permutations of <c>n</c> elements chosen for maximal Hamming distance (Noroozi &amp;
/// Favaro's algorithm): the first is drawn at random from the seed, then each next one is the
/// permutation whose least distance to those chosen is largest (the lowest-numbered one on ties,
/// in lexicographic order of all n! permutations), so the set is deterministic for a seed.
/// </summary>
public static class PermutationSet
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int), int[][]> Made = new();

    /// <summary><paramref name="count"/> permutations of 0..n-1 (n at most 10); each set is computed once per process.</summary>
    public static int[][] MaximalHamming(int count, int n = 9, int seed = 0) =>
        Made.GetOrAdd((count, n, seed), key => Choose(key.Item1, key.Item2, key.Item3)).Select(p => (int[])p.Clone()).ToArray();

    private static int[][] Choose(int count, int n, int seed)
    {
        if (n is < 2 or > 10) throw new ArgumentOutOfRangeException(nameof(n), $"permutations of 2 to 10 elements, got {n}");
        var all = AllPermutations(n);
        if (count > all.Count) throw new ArgumentException($"{n} elements have only {all.Count} permutations, {count} were asked for");
        var minDistance = new int[all.Count];
        Array.Fill(minDistance, int.MaxValue);
        var chosen = new List<int> { new Random(seed).Next(all.Count) };
        while (true)
        {
            var last = all[chosen[^1]];
            for (var i = 0; i < all.Count; i++) minDistance[i] = Math.Min(minDistance[i], Hamming(all[i], last));
            if (chosen.Count == count) break;
            var best = 0;
            for (var i = 1; i < all.Count; i++)
                if (minDistance[i] > minDistance[best]) best = i;
            chosen.Add(best);
        }
        return chosen.Select(i => all[i]).ToArray();
    }

    /// <summary>Positions at which <paramref name="a"/> and <paramref name="b"/> differ.</summary>
    public static int Hamming(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var d = 0;
        for (var i = 0; i < a.Count; i++) if (a[i] != b[i]) d++;
        return d;
    }

    /// <summary>The least Hamming distance between two permutations of <paramref name="set"/>.</summary>
    public static int MinimumDistance(IReadOnlyList<int[]> set)
    {
        var min = int.MaxValue;
        for (var i = 0; i < set.Count; i++)
            for (var j = i + 1; j < set.Count; j++) min = Math.Min(min, Hamming(set[i], set[j]));
        return min;
    }

    private static List<int[]> AllPermutations(int n)
    {
        var result = new List<int[]>();
        var p = Enumerable.Range(0, n).ToArray();
        while (true)
        {
            result.Add((int[])p.Clone());
            // The next permutation in lexicographic order.
            var i = n - 2;
            while (i >= 0 && p[i] >= p[i + 1]) i--;
            if (i < 0) return result;
            var j = n - 1;
            while (p[j] <= p[i]) j--;
            (p[i], p[j]) = (p[j], p[i]);
            Array.Reverse(p, i + 1, n - i - 1);
        }
    }
}

/// <summary>
/// Jigsaw puzzles (Noroozi &amp; Favaro, "Unsupervised Learning of Visual Representations by
/// Solving Jigsaw Puzzles", ECCV 2016): each image is cut into a 3x3 grid; from every cell a tile
/// is taken at a random offset (the gap keeps edges from giving the answer away); the tiles are
/// shuffled by one permutation of a fixed set chosen for maximal Hamming distance, each goes
/// through the shared encoder (resized to the image's size, so the encoder evaluated later sees
/// the same input size), and a classifier over the 9 concatenated features names the permutation.
/// Works for any image size of at least 9 pixels a side. The images are the first augmented view
/// when the experiment lists <c>views:</c>. The representation is the encoder on whole images.
/// </summary>
[Plugin("jigsaw", Summary = "solve 3x3 jigsaw puzzles: classify the permutation of shuffled tiles", Citation = "Noroozi & Favaro, ECCV 2016")]
public sealed class JigsawMethod(JigsawOptions options) : MethodBase
{
    private const int Grid = 3;
    private const int Tiles = Grid * Grid;
    private nn.Sequential? classifier;
    private int[][]? permutations;
    private Tensor? permutationTable;

    public override MethodNeeds Needs => OneGroup(OptimizerPresets.SgdCosine(options.Lr, options.WeightDecay));

    /// <summary>The permutation set: entry p lists, for each position of the shuffled puzzle, the grid cell whose tile is put there.</summary>
    public IReadOnlyList<int[]> PermutationsInUse => permutations!;

    protected override void Build()
    {
        if (Setup.Input.Height < Tiles || Setup.Input.Width < Tiles)
            throw new ArgumentException($"jigsaw needs images of at least {Tiles} pixels a side, got {Setup.Input}");
        permutations = PermutationSet.MaximalHamming(options.Permutations, Tiles, options.PermutationSeed);
        var reached = PermutationSet.MinimumDistance(permutations);
        if (reached < options.MinHamming)
            throw new ArgumentException($"jigsaw: {options.Permutations} permutations reach a least Hamming distance of {reached}, below min-hamming {options.MinHamming}: ask for fewer permutations or a smaller min-hamming");
        permutationTable = torch.tensor(permutations.SelectMany(p => p.Select(i => (long)i)).ToArray(), permutations.Length, Tiles).to(Setup.Device).DetachFromDisposeScope();
        classifier = Add("classifier", ClassifierHead.Create(Tiles * Encoder.Features, options.HiddenDim, options.Permutations, options.Dropout));
        Optimize("all", Encoder, classifier);
    }

    /// <summary>
    /// The 9 tiles of every image of <paramref name="x"/> [N, C, H, W], in grid order (row by row), each
    /// resized to H x W: [9, N, C, H, W]. A tile is <c>tile-fraction</c> of its cell, placed at offsets
    /// drawn per sample from the global generator (through <see cref="SampleDraws"/>).
    /// </summary>
    public Tensor Cut(Tensor x)
    {
        var (n, h, w) = (x.size(0), x.size(2), x.size(3));
        double cellH = (double)h / Grid, cellW = (double)w / Grid;
        double tileH = cellH * options.TileFraction, tileW = cellW * options.TileFraction;
        double[] offsets;
        using (var u = SampleDraws.Rand([Tiles, n, 2], Device.CPU, ScalarType.Float64, sampleDim: 1)) offsets = u.data<double>();
        var tiles = new List<Tensor>();
        using var scope = torch.NewDisposeScope();
        for (var t = 0; t < Tiles; t++)
        {
            var boxes = new double[4 * n];
            for (var i = 0; i < n; i++)
            {
                var o = 2 * (t * n + i);
                boxes[4 * i] = t % Grid * cellW + offsets[o] * (cellW - tileW);
                boxes[4 * i + 1] = t / Grid * cellH + offsets[o + 1] * (cellH - tileH);
                boxes[4 * i + 2] = tileW;
                boxes[4 * i + 3] = tileH;
            }
            tiles.Add(vision.resized_crop(x, boxes, h, w, antialias: false));
        }
        return torch.stack(tiles).MoveToOuterScope();
    }

    /// <summary>Logits over the permutation set for puzzles made of <paramref name="tiles"/> [9, N, C, H, W] shuffled by permutations <paramref name="chosen"/> [N].</summary>
    public Tensor Classify(Tensor tiles, Tensor chosen)
    {
        var n = tiles.size(1);
        var features = Encoder.forward(tiles.flatten(0, 1));
        // Position j of puzzle i shows cell perm[chosen[i]][j], whose features sit at row cell * N + i.
        using var cells = permutationTable!.index_select(0, chosen);
        using var rows = cells * n + torch.arange(n, dtype: ScalarType.Int64, device: tiles.device).unsqueeze(1);
        var puzzle = features.index_select(0, rows.flatten()).view(n, Tiles * Encoder.Features);
        return classifier!.forward(puzzle);
    }

    /// <summary>The permutation (an index into the set) of each of <paramref name="n"/> puzzles, uniform, from the global generator.</summary>
    public Tensor ChoosePermutations(long n, Device device) => SampleDraws.RandInt(0, options.Permutations, [n], device);

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var x = batch.Views.Count > 0 ? batch.Views[0] : batch.Original;
        var tiles = Cut(x);
        var chosen = ChoosePermutations(x.size(0), x.device);
        PretextTask.Train(Optimizers["all"], Classify(tiles, chosen), chosen, context, "jigsaw");
    }
}
