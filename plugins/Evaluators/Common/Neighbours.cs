using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.Common;

/// <summary>Nearest-neighbour search on L2-normalised features, in bounded memory (kNN's votes, anomaly scores).</summary>
public static class Neighbours
{
    /// <summary>The encoder's L2-normalised features of the probe split (the memory) and of the test split (the queries).</summary>
    public static (Tensor Memory, Tensor Test) NormalisedFeatures(EncoderModule encoder, EvaluationData data, IRunContext context) =>
        (F.normalize(data.FeaturesOf(encoder, data.Probe, context.Device), dim: 1), F.normalize(data.FeaturesOf(encoder, data.Test, context.Device), dim: 1));

    /// <summary>
    /// For each row of <paramref name="queries"/> [Q, F], its <paramref name="k"/> most cosine-similar rows of
    /// <paramref name="memory"/> [M, F] (both L2-normalised), <paramref name="chunk"/> queries at a time: calls
    /// <paramref name="visit"/>(first query of the chunk, similarities [n, k], indices [n, k]) inside each chunk's dispose scope.
    /// </summary>
    public static void Nearest(Tensor queries, Tensor memory, int k, int chunk, CancellationToken stopping, Action<long, Tensor, Tensor> visit)
    {
        var count = queries.size(0);
        for (long start = 0; start < count; start += chunk)
        {
            stopping.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var q = queries.slice(0, start, Math.Min(start + chunk, count));
            var (similarity, index) = q.mm(memory.T).topk(k, dim: 1);
            visit(start, similarity, index);
        }
    }
}
