using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators;

/// <summary>Every evaluator on raw pixels of the synthetic shapes.</summary>
public class SyntheticShapesTests
{
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
        context.Logged[$"eval/{name}/labelled-images"].Should().Be(train.Count, "the labels it was given");
        context.Logged[$"eval/{name}/feature-dim"].Should().Be(28 * 28);
    }
}
