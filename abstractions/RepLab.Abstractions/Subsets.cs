using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>Shared plumbing on image sets: stratified labelled subsets (few-label evaluation) and channel statistics.</summary>
public static class Subsets
{
    /// <summary>
    /// A seeded, stratified subset: <paramref name="fraction"/> of each class (at least one image per
    /// class), for few-label protocols such as 1% or 10% of the labels. The same seed gives the same
    /// subset; the result owns copies of the chosen images and labels. Unlabelled images (-1) are left out.
    /// </summary>
    public static ImageSet Stratified(ImageSet set, double fraction, ulong seed)
    {
        var labels = set.Labels ?? throw new ArgumentException($"{set.Name} has no labels to stratify by");
        using var index = torch.tensor<long>(StratifiedIndices(labels, fraction, seed));
        return new ImageSet(set.Images.index_select(0, index), labels.index_select(0, index), set.Classes,
            $"{set.Name}[{fraction:P0} per class, seed {seed}]") { ClassNames = set.ClassNames };
    }

    /// <summary>
    /// <paramref name="labels"/> with all but a seeded, stratified <paramref name="fraction"/> of each
    /// class replaced by -1 (unknown): the labels a method trained on a few labels may see
    /// (<c>data.train-label-fraction</c>). The same seed and labels give the same choice as <see cref="Stratified"/>.
    /// </summary>
    public static Tensor KeepFraction(Tensor labels, double fraction, ulong seed)
    {
        var kept = StratifiedIndices(labels, fraction, seed).ToHashSet();
        var values = labels.data<long>().Select((l, i) => kept.Contains(i) ? l : ImageSet.Unlabelled).ToArray();
        return torch.tensor<long>(values);
    }

    /// <summary>Sorted indices of a seeded <paramref name="fraction"/> of each class (at least one each); -1 labels are never chosen.</summary>
    private static long[] StratifiedIndices(Tensor labels, double fraction, ulong seed)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), $"fraction must be in (0, 1], got {fraction}");
        var values = labels.data<long>();
        var chosen = new List<long>();
        var rng = new Random((int)(seed % int.MaxValue));
        foreach (var group in Enumerable.Range(0, values.Length).Where(i => values[i] >= 0).GroupBy(i => values[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            rng.Shuffle(members);
            var take = Math.Max(1, (int)Math.Round(members.Length * fraction));
            chosen.AddRange(members.Take(take).Select(i => (long)i));
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    /// <summary>
    /// Per-channel mean and (population) standard deviation of the pixels scaled to [0, 1], for input
    /// normalisation. Accumulated in float64 over chunks of images, so a large set (STL-10's 100,000
    /// unlabelled images) needs no float copy of itself.
    /// </summary>
    public static (double[] mean, double[] std) ChannelStatistics(ImageSet set, long chunk = 4096)
    {
        var channels = set.Shape.Channels;
        var (sum, squares) = (new double[channels], new double[channels]);
        for (long start = 0; start < set.Count; start += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var x = set.Images.slice(0, start, Math.Min(set.Count, start + chunk)).to(ScalarType.Float64) / 255.0;
            var s = x.sum([0, 2, 3]).data<double>();
            var q = (x * x).sum([0, 2, 3]).data<double>();
            for (var c = 0; c < channels; c++) (sum[c], squares[c]) = (sum[c] + s[c], squares[c] + q[c]);
        }
        var count = (double)set.Count * set.Shape.Height * set.Shape.Width;
        var mean = sum.Select(v => v / count).ToArray();
        var std = squares.Select((q, c) => Math.Sqrt(Math.Max(0, q / count - mean[c] * mean[c]))).ToArray();
        return (mean, std);
    }
}
