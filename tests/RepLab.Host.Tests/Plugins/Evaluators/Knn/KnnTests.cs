using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.Knn;

public class KnnTests
{
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
