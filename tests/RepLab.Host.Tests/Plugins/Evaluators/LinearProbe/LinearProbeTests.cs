using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.LinearProbe;

/// <summary>The linear probe on features whose answer is known: separable ones are learnt, noise is not, and the protocol is logged.</summary>
public class LinearProbeTests
{
    private static double Top1(bool separable, RecordingRunContext context)
    {
        using var train = KnownAnswerSets.Make(4, 60, separable, seed: 1, "train");
        using var test = KnownAnswerSets.Make(4, 30, separable, seed: 2, "test");
        using var encoder = new PixelEncoder(16);
        torch.manual_seed(0);
        var probe = BuiltIn.Create<IEvaluator>("linear-probe", ("Epochs", 40), ("BatchSize", 32), ("Lr", 0.05));
        return probe.Evaluate(encoder, new EvaluationData(train, test), context)["eval/linear-probe/top1"];
    }

    [Fact]
    public void Separable_features_are_classified_and_noise_stays_near_chance()
    {
        var context = new RecordingRunContext();
        Top1(separable: true, context).Should().BeGreaterThanOrEqualTo(0.95, "class c lights pixel c: one linear layer separates them");
        Top1(separable: false, new RecordingRunContext()).Should().BeLessThan(0.5, "4 classes of noise: chance is 0.25");
        context.Logged.Should().Contain(new KeyValuePair<string, double>("eval/linear-probe/epochs", 40))
            .And.Contain(new KeyValuePair<string, double>("eval/linear-probe/labelled-images", 240))
            .And.Contain(new KeyValuePair<string, double>("eval/linear-probe/feature-dim", 16))
            .And.Contain(new KeyValuePair<string, double>("eval/linear-probe/encoder-frozen", 1));
    }
}
