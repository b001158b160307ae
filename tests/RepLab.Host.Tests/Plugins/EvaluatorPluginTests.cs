using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

public class EvaluatorPluginTests
{
    /// <summary>An encoder that only flattens and scales pixels: evaluators must separate synthetic shapes from raw pixels.</summary>
    private sealed class PixelEncoder(int features) : EncoderModule
    {
        public override int Features => features;

        public override Tensor forward(Tensor input) => input.flatten(1);
    }

    [Theory]
    // Raw pixels of shapes at random positions: kNN separates them well, a linear model only partly.
    [InlineData("knn", 0.6)]
    [InlineData("linear-probe", 0.4)]
    public void Evaluators_classify_synthetic_shapes_far_above_chance_and_log_their_protocol(string name, double floor)
    {
        using var scope = torch.NewDisposeScope();
        var r = Repo.BuiltIns;
        using var train = r.Create<IDataset>("synthetic").Load("train");
        using var test = r.Create<IDataset>("synthetic").Load("test");
        using var encoder = new PixelEncoder(28 * 28);
        var context = new RecordingRunContext();
        var top1 = r.Create<IEvaluator>(name).Evaluate(encoder, new EvaluationData(train, test), context)[$"eval/{name}/top1"];
        top1.Should().BeGreaterThan(floor, "four shape classes, chance is 0.25");
        context.Logged.Keys.Where(k => k.StartsWith($"eval/{name}/") && !k.EndsWith("top1")).Should().NotBeEmpty("the protocol is logged next to the result");
    }

    [Fact]
    public void Knn_with_k_1_on_the_training_set_itself_is_perfect()
    {
        using var scope = torch.NewDisposeScope();
        var r = Repo.BuiltIns;
        using var train = r.Create<IDataset>("synthetic").Load("train");
        var d = r.Find(PluginKind.Evaluator, "knn")!;
        var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        d.OptionsType.GetProperty("K")!.SetValue(options, 1);
        using var encoder = new PixelEncoder(28 * 28);
        r.Create<IEvaluator>("knn", options).Evaluate(encoder, new EvaluationData(train, train), new RecordingRunContext())["eval/knn/top1"]
            .Should().Be(1.0);
    }
}
