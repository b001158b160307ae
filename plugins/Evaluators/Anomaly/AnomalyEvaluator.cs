using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Evaluators.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.Anomaly;

/// <summary>Options of the <c>anomaly</c> evaluator.</summary>
public sealed record AnomalyOptions : PluginOptions
{
    /// <summary>The normal class; -1 scores every class in turn as the normal one and reports the mean AUROC.</summary>
    [Range(-1, 100_000)]
    public int NormalClass { get; init; } = -1;

    /// <summary>Nearest normal training images whose mean cosine distance is the anomaly score (Bergman et al.'s 2).</summary>
    [Range(1, 10_000)]
    public int K { get; init; } = 2;

    /// <summary>Test images scored per chunk, bounding memory.</summary>
    [Range(1, 65536)]
    public int Chunk { get; init; } = 1024;
}

/// <summary>
/// One-class anomaly detection on frozen features (Bergman, Cohen &amp; Hoshen, "Deep Nearest
/// Neighbor Anomaly Detection", 2020): the probe split's images of the normal class are the
/// memory; a test image's score is its mean cosine distance to its k nearest normal images; the
/// AUROC separates the test images of the normal class from all others. Pretraining on the normal
/// class only is the experiment's <c>data.train-classes: [c]</c>. Reports <c>eval/anomaly/auroc</c>
/// (the mean over classes with <c>normal-class: -1</c>, each class's under <c>eval/anomaly/auroc-class-C</c>).
/// </summary>
[Plugin("anomaly", Summary = "one-class anomaly detection: AUROC of the kNN distance to normal features", Citation = "Bergman et al., arXiv:2002.10445, 2020")]
public sealed class AnomalyEvaluator(AnomalyOptions options) : IEvaluator
{
    public IReadOnlyList<MetricRange> Metrics => [MetricRange.Fraction("eval/anomaly/auroc")];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        using var scope = torch.NewDisposeScope();
        var (memory, test) = Neighbours.NormalisedFeatures(encoder, data, context);
        var (memoryLabels, testLabels) = data.Labels("anomaly", context.Device);
        var classes = options.NormalClass >= 0 ? [options.NormalClass] : Enumerable.Range(0, data.Classes).ToArray();
        if (options.NormalClass >= data.Classes)
            throw new ArgumentException($"anomaly: normal-class {options.NormalClass} is not a class of the data (0 to {data.Classes - 1})");
        var truth = testLabels.to(Device.CPU).data<long>();
        var known = memoryLabels.to(Device.CPU).data<long>();
        var aurocs = new List<double>();
        foreach (var c in classes)
        {
            context.Stopping.ThrowIfCancellationRequested();
            using var perClass = torch.NewDisposeScope();
            var rows = Enumerable.Range(0, known.Length).Where(i => known[i] == c).Select(i => (long)i).ToArray();
            if (rows.Length == 0) throw new ArgumentException($"anomaly: the probe split {data.Probe.Name} has no image of normal class {c}");
            var normal = memory.index_select(0, torch.tensor(rows, rows.Length).to(context.Device));
            var scores = Scores(normal, test, Math.Min(options.K, (int)normal.size(0)), options.Chunk, context.Stopping);
            var auroc = Auroc(scores, truth.Select(y => y != c).ToArray());
            context.Log($"eval/anomaly/auroc-class-{c}", auroc);
            aurocs.Add(auroc);
        }
        var mean = aurocs.Average();
        context.Log("eval/anomaly/auroc", mean);
        context.Log("eval/anomaly/k", options.K);
        context.Log("eval/anomaly/normal-class", options.NormalClass);
        context.Log("eval/anomaly/feature-dim", memory.size(1));
        return new Dictionary<string, double> { ["eval/anomaly/auroc"] = mean };
    }

    /// <summary>Each test feature's mean cosine distance to its <paramref name="k"/> nearest <paramref name="normal"/> features (both L2-normalised).</summary>
    public static double[] Scores(Tensor normal, Tensor test, int k, int chunk = 1024, CancellationToken stopping = default)
    {
        var scores = new double[test.size(0)];
        Neighbours.Nearest(test, normal, k, chunk, stopping, (start, sim, _) =>
            (1 - sim).mean(1).to(Device.CPU, ScalarType.Float64).data<double>().CopyTo(scores, start));
        return scores;
    }

    /// <summary>
    /// The area under the ROC curve of <paramref name="scores"/> for telling <paramref name="positive"/>
    /// samples from the rest: the Mann-Whitney probability that a positive scores above a negative,
    /// ties counting half (average ranks).
    /// </summary>
    public static double Auroc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException($"{scores.Count} scores for {positive.Count} labels");
        long pos = positive.Count(p => p), neg = positive.Count - pos;
        if (pos == 0 || neg == 0) throw new ArgumentException("AUROC needs both positive and negative samples");
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            var rank = (i + j) / 2.0 + 1;
            for (var t = i; t <= j; t++) if (positive[order[t]]) rankSum += rank;
            i = j + 1;
        }
        return (rankSum - pos * (pos + 1) / 2.0) / ((double)pos * neg);
    }
}
