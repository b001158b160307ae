using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Evaluators.Anomaly;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.Anomaly;

public class AnomalyTests
{
    [Fact]
    public void Auroc_is_the_probability_that_an_anomaly_scores_higher_ties_counting_half()
    {
        // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right.
        AnomalyEvaluator.Auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]).Should().Be(0.75);
        AnomalyEvaluator.Auroc([0.5, 0.5, 0.5], [false, true, true]).Should().Be(0.5);
        AnomalyEvaluator.Auroc([0.9, 0.1], [false, true]).Should().Be(0);
        var act = () => AnomalyEvaluator.Auroc([0.1, 0.2], [true, true]);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 2)]
    [InlineData(true, -1)]
    [InlineData(false, -1)]
    public void Separable_features_give_auroc_one_and_random_ones_about_one_half(bool separable, int normal)
    {
        using var scope = torch.NewDisposeScope();
        using var probe = KnownAnswerSets.Make(4, 50, separable, 1, "probe");
        using var test = KnownAnswerSets.Make(4, 100, separable, 2, "test");
        using var encoder = new PixelEncoder(16);
        var context = new RecordingRunContext();
        var auroc = new AnomalyEvaluator(new AnomalyOptions { NormalClass = normal }).Evaluate(encoder, new EvaluationData(probe, test), context)["eval/anomaly/auroc"];
        if (separable) auroc.Should().Be(1);
        else auroc.Should().BeInRange(0.42, 0.58);
        context.Logged.Keys.Where(k => k.StartsWith("eval/anomaly/auroc-class-")).Should().HaveCount(normal < 0 ? 4 : 1);
        context.Logged["eval/anomaly/k"].Should().Be(2);
    }
}
