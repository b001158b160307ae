using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.Kmeans;

/// <summary>Which labelled split an evaluator works on.</summary>
public enum EvaluationSplit
{
    /// <summary>The test split.</summary>
    Test,

    /// <summary>The probe split (the training images with labels).</summary>
    Probe,
}

/// <summary>Options of the <c>kmeans</c> evaluator.</summary>
public sealed record KmeansOptions : PluginOptions
{
    /// <summary>Clusters (0: as many as the dataset has classes).</summary>
    [Range(0, 100_000)]
    public int K { get; init; }

    /// <summary>Seeded restarts, each from its own k-means++ initialisation; the one of least inertia counts (scikit-learn's 10).</summary>
    [Range(1, 1000)]
    public int Restarts { get; init; } = 10;

    /// <summary>Lloyd iterations at most per restart.</summary>
    [Range(1, 100_000)]
    public int Iterations { get; init; } = 100;

    /// <summary>A restart stops when the centroids move less than this (squared, summed) between iterations.</summary>
    [Range(0.0, 1.0)]
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>L2-normalise the features first (spherical clusters on cosine similarity, as for kNN).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>The split clustered and scored: test or probe.</summary>
    public EvaluationSplit Split { get; init; } = EvaluationSplit.Test;
}

/// <summary>
/// Clustering of frozen features: k-means (Lloyd's algorithm from k-means++ seeds, Arthur &amp;
/// Vassilvitskii, 2007) with several seeded restarts on the test split, scored against the true
/// classes with NMI, ARI and cluster accuracy under the Hungarian matching. Reports
/// <c>eval/kmeans/nmi</c>, <c>eval/kmeans/ari</c> and <c>eval/kmeans/accuracy</c>.
/// </summary>
[Plugin("kmeans", Summary = "k-means on frozen features; NMI, ARI and Hungarian cluster accuracy", Citation = "Arthur & Vassilvitskii, SODA 2007")]
public sealed class KmeansEvaluator(KmeansOptions options) : IEvaluator
{
    public IReadOnlyList<MetricRange> Metrics =>
        [MetricRange.Fraction("eval/kmeans/nmi"), new("eval/kmeans/ari", -1, 1), MetricRange.Fraction("eval/kmeans/accuracy")];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        using var scope = torch.NewDisposeScope();
        var set = options.Split == EvaluationSplit.Probe ? data.Probe : data.Test;
        var x = data.FeaturesOf(encoder, set, context.Device).to(ScalarType.Float32);
        if (options.Normalize) x = F.normalize(x, dim: 1);
        var labels = (set.Labels ?? throw new ArgumentException($"kmeans needs labels on the {options.Split.ToString().ToLowerInvariant()} split {set.Name}")).to(Device.CPU).data<long>();
        var k = options.K > 0 ? options.K : data.Classes;
        if (k > x.size(0)) throw new ArgumentException($"kmeans: {k} clusters for {x.size(0)} images");

        var (assignment, inertia) = Cluster(x, k, options.Restarts, options.Iterations, options.Tolerance, context.Seed, context.Stopping);
        var table = ClusteringMetrics.Contingency(labels, assignment);
        var result = new Dictionary<string, double>
        {
            ["eval/kmeans/nmi"] = ClusteringMetrics.Nmi(table),
            ["eval/kmeans/ari"] = ClusteringMetrics.Ari(table),
            ["eval/kmeans/accuracy"] = ClusteringMetrics.Accuracy(table),
        };
        foreach (var (key, value) in result) context.Log(key, value);
        context.Log("eval/kmeans/k", k);
        context.Log("eval/kmeans/restarts", options.Restarts);
        context.Log("eval/kmeans/inertia", inertia);
        context.Log("eval/kmeans/images", x.size(0));
        context.Log("eval/kmeans/feature-dim", x.size(1));
        return result;
    }

    /// <summary>
    /// The best of <paramref name="restarts"/> k-means runs on <paramref name="x"/> [N, D]: each image's
    /// cluster and the total squared distance to the centroids. Restart r draws from a generator seeded
    /// with <paramref name="seed"/> + r, so the result is deterministic.
    /// </summary>
    public static (long[] Assignment, double Inertia) Cluster(Tensor x, int k, int restarts, int iterations, double tolerance, ulong seed,
        CancellationToken stopping = default)
    {
        long[]? best = null;
        var bestInertia = double.PositiveInfinity;
        using var squared = x.square().sum(1);
        for (var r = 0; r < restarts; r++)
        {
            stopping.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            using var g = new Generator(seed + (ulong)r);
            var centroids = PlusPlus(x, squared, k, g);
            for (var it = 0; it < iterations; it++)
            {
                using var step = torch.NewDisposeScope();
                var (a, d) = Assign(x, squared, centroids);
                var sums = torch.zeros([k, x.size(1)], device: x.device).scatter_add(0, a.unsqueeze(1).expand(x.shape), x);
                var counts = torch.zeros([k], device: x.device).scatter_add(0, a, torch.ones([x.size(0)], device: x.device));
                // An empty cluster takes the image farthest from its centroid.
                var empty = counts.eq(0);
                var moved = sums / counts.clamp_min(1).unsqueeze(1);
                if (empty.any().item<bool>())
                {
                    var far = d.argmax().item<long>();
                    moved = torch.where(empty.unsqueeze(1), x[far].unsqueeze(0).expand(k, x.size(1)), moved);
                }
                var shift = (moved - centroids).square().sum().item();
                centroids.Dispose();
                centroids = moved.MoveToOuterScope();
                if (shift <= tolerance) break;
            }
            var (final, dist) = Assign(x, squared, centroids);
            var inertia = dist.sum().item();
            if (inertia < bestInertia)
            {
                bestInertia = inertia;
                best = final.to(Device.CPU).data<long>();
            }
        }
        return (best!, bestInertia);
    }

    /// <summary>Each image's nearest centroid and its squared distance.</summary>
    private static (Tensor Assignment, Tensor Distance) Assign(Tensor x, Tensor squared, Tensor centroids)
    {
        var d = (squared.unsqueeze(1) - 2 * x.mm(centroids.T) + centroids.square().sum(1).unsqueeze(0)).clamp_min(0);
        var (min, arg) = d.min(1);
        return (arg, min);
    }

    private static Tensor Dot(Tensor x, Tensor v) => x.mm(v.unsqueeze(1)).squeeze(1);

    /// <summary>k-means++ seeds: the first uniformly, each next with probability proportional to its squared distance to the nearest seed so far.</summary>
    private static Tensor PlusPlus(Tensor x, Tensor squared, int k, Generator g)
    {
        var n = x.size(0);
        var chosen = new List<long> { torch.randint(0, n, [1], generator: g).item<long>() };
        var nearest = (squared - 2 * Dot(x, x[chosen[0]]) + squared[chosen[0]]).clamp_min(0);
        while (chosen.Count < k)
        {
            var total = nearest.sum().item();
            var next = total > 0 ? torch.multinomial(nearest.to(Device.CPU), 1, generator: g).item<long>() : torch.randint(0, n, [1], generator: g).item<long>();
            chosen.Add(next);
            var d = (squared - 2 * Dot(x, x[next]) + squared[next]).clamp_min(0);
            var updated = torch.minimum(nearest, d);
            nearest.Dispose();
            d.Dispose();
            nearest = updated;
        }
        nearest.Dispose();
        using var idx = torch.tensor(chosen.ToArray(), chosen.Count).to(x.device);
        return x.index_select(0, idx);
    }
}
