using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Evaluators.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.Knn;

/// <summary>Options of the <c>knn</c> evaluator.</summary>
public sealed record KnnOptions : PluginOptions
{
    /// <summary>Neighbours that vote (default 20, as in Wu et al., 2018).</summary>
    [Range(1, 10_000)]
    public int K { get; init; } = 20;

    /// <summary>Temperature of the vote weights exp(similarity / T) (default 0.1).</summary>
    [Range(1e-4, 100.0)]
    public double Temperature { get; init; } = 0.1;

    /// <summary>Test images scored per chunk, bounding memory (default 256).</summary>
    [Range(1, 65536)]
    public int Chunk { get; init; } = 256;
}

/// <summary>
/// Weighted k-nearest-neighbour classification on L2-normalised frozen features (Wu et al., 2018,
/// "Unsupervised Feature Learning via Non-Parametric Instance Discrimination"): each of the k most
/// cosine-similar training images votes for its class with weight exp(similarity / T).
/// Reports <c>eval/knn/top1</c>.
/// </summary>
[Plugin("knn", Summary = "weighted kNN on cosine similarity of frozen features", Citation = "Wu et al., CVPR 2018")]
public sealed class KnnEvaluator(KnnOptions options) : IEvaluator
{
    public IReadOnlyList<MetricRange> Metrics => [MetricRange.Fraction("eval/knn/top1")];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        using var scope = torch.NewDisposeScope();
        var (train, test) = Neighbours.NormalisedFeatures(encoder, data, context);
        var (trainLabels, testLabels) = data.Labels("knn", context.Device);
        var classes = data.Classes;
        var k = Math.Min(options.K, (int)data.Probe.Count);
        long correct = 0;
        Neighbours.Nearest(test, train, k, options.Chunk, context.Stopping, (start, sim, idx) =>
        {
            var weights = (sim / options.Temperature).exp();
            var votes = torch.zeros([sim.size(0), classes], device: context.Device)
                .scatter_add(1, trainLabels.index_select(0, idx.flatten()).view(idx.shape), weights);
            correct += votes.argmax(1).eq(testLabels.slice(0, start, start + sim.size(0))).sum().item<long>();
        });
        var top1 = (double)correct / data.Test.Count;
        context.Log("eval/knn/top1", top1);
        context.Log("eval/knn/k", k);
        context.Log("eval/knn/temperature", options.Temperature);
        context.Log("eval/knn/labelled-images", data.Probe.Count);
        context.Log("eval/knn/feature-dim", train.size(1));
        return new Dictionary<string, double> { ["eval/knn/top1"] = top1 };
    }
}
