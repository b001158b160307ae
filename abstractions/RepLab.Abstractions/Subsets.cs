using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>Shared plumbing on image sets: stratified labelled subsets (few-label evaluation) and channel statistics.</summary>
public static class Subsets
{
    /// <summary>
    /// A seeded, stratified subset: <paramref name="fraction"/> of each class (at least one image per
    /// class), for few-label protocols such as 1% or 10% of the labels. The same seed gives the same
    /// subset; the result owns copies of the chosen images and labels.
    /// </summary>
    public static ImageSet Stratified(ImageSet set, double fraction, ulong seed)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), $"fraction must be in (0, 1], got {fraction}");
        var labels = set.Labels?.data<long>() ?? throw new ArgumentException($"{set.Name} has no labels to stratify by");
        var chosen = new List<long>();
        var rng = new Random((int)(seed % int.MaxValue));
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            rng.Shuffle(members);
            var take = Math.Max(1, (int)Math.Round(members.Length * fraction));
            chosen.AddRange(members.Take(take).Select(i => (long)i));
        }
        chosen.Sort();
        using var index = torch.tensor<long>(chosen.ToArray());
        return new ImageSet(set.Images.index_select(0, index), set.Labels!.index_select(0, index), set.Classes,
            $"{set.Name}[{fraction:P0} per class, seed {seed}]");
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
