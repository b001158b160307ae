using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Evaluators.Kmeans;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.Kmeans;

public class KmeansTests
{
    [Fact]
    public void The_metrics_match_hand_computed_values()
    {
        // Classes [0, 0, 1, 1], clusters [0, 0, 0, 1]: table [[2, 0], [1, 1]].
        var table = ClusteringMetrics.Contingency([0, 0, 1, 1], [0, 0, 0, 1]);
        var mi = 0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2);
        var hClasses = Math.Log(2);
        var hClusters = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25));
        ClusteringMetrics.Nmi(table).Should().BeApproximately(mi / ((hClasses + hClusters) / 2), 1e-12);
        // Pairs: together in both 1, expected 2 x 3 / 6 = 1, so the adjusted index is 0.
        ClusteringMetrics.Ari(table).Should().BeApproximately(0, 1e-12);
        ClusteringMetrics.Accuracy(table).Should().Be(0.75);
        // A relabelled perfect clustering scores 1 everywhere.
        var perfect = ClusteringMetrics.Contingency([0, 1, 2, 0, 1, 2], [2, 0, 1, 2, 0, 1]);
        new[] { ClusteringMetrics.Nmi(perfect), ClusteringMetrics.Ari(perfect), ClusteringMetrics.Accuracy(perfect) }.Should().Equal(1.0, 1.0, 1.0);
    }

    [Fact]
    public void The_hungarian_method_finds_the_cheapest_assignment()
    {
        // The greedy choice (row 0 takes its cheapest, column 0) costs 1 + 5 + 9 = 15; the best is 2 + 3 + 2 = 7.
        var cost = new double[,] { { 1, 2, 9 }, { 3, 9, 9 }, { 9, 9, 2 } };
        ClusteringMetrics.Hungarian(cost).Should().Equal([1, 0, 2]);
        var rng = new Random(1);
        for (var trial = 0; trial < 20; trial++)
        {
            var c = new double[4, 4];
            for (var i = 0; i < 4; i++) for (var j = 0; j < 4; j++) c[i, j] = rng.Next(0, 50);
            var match = ClusteringMetrics.Hungarian(c);
            var best = Permutations([0, 1, 2, 3]).Min(p => Enumerable.Range(0, 4).Sum(i => c[i, p[i]]));
            Enumerable.Range(0, 4).Sum(i => c[i, match[i]]).Should().Be(best, "the brute-force optimum");
        }
    }

    private static IEnumerable<int[]> Permutations(int[] items) => items.Length <= 1
        ? [items]
        : items.SelectMany(x => Permutations(items.Where(y => y != x).ToArray()).Select(rest => new[] { x }.Concat(rest).ToArray()));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Separable_features_are_clustered_perfectly_and_random_ones_at_chance(bool separable)
    {
        using var scope = torch.NewDisposeScope();
        using var probe = KnownAnswerSets.Make(4, 50, separable, 1, "probe");
        using var test = KnownAnswerSets.Make(4, 100, separable, 2, "test");
        using var encoder = new PixelEncoder(16);
        var context = new RecordingRunContext();
        var result = new KmeansEvaluator(new KmeansOptions()).Evaluate(encoder, new EvaluationData(probe, test), context);
        if (separable)
        {
            result["eval/kmeans/nmi"].Should().Be(1);
            result["eval/kmeans/ari"].Should().Be(1);
            result["eval/kmeans/accuracy"].Should().Be(1);
        }
        else
        {
            result["eval/kmeans/nmi"].Should().BeLessThan(0.05);
            result["eval/kmeans/ari"].Should().BeInRange(-0.05, 0.05);
            result["eval/kmeans/accuracy"].Should().BeLessThan(0.4, "chance is 0.25; the best matching lifts it a little");
        }
        context.Logged["eval/kmeans/k"].Should().Be(4, "as many clusters as classes");
        context.Logged["eval/kmeans/restarts"].Should().Be(10);
        context.Logged["eval/kmeans/images"].Should().Be(400, "the test split is clustered");
    }

    [Fact]
    public void Restarts_are_seeded_so_the_clustering_is_deterministic()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var x = torch.randn([300, 5]);
        var a = KmeansEvaluator.Cluster(x, 6, 3, 50, 1e-6, 7);
        var b = KmeansEvaluator.Cluster(x, 6, 3, 50, 1e-6, 7);
        a.Assignment.Should().Equal(b.Assignment);
        a.Inertia.Should().Be(b.Inertia);
        KmeansEvaluator.Cluster(x, 6, 10, 50, 1e-6, 7).Inertia.Should().BeLessThanOrEqualTo(a.Inertia, "more restarts keep the best one");
    }
}
