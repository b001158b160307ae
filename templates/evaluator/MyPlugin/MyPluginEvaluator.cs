using RepLab.Abstractions;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> evaluator.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>L2-normalise features before the class means are taken and compared (default true).</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary>
/// Nearest class mean: the mean feature of each class on the probe split, then each test image is given the
/// class of the closest mean (Euclidean). Reports <c>eval/my-plugin/top1</c> in [0, 1] and logs its protocol.
/// </summary>
[Plugin("my-plugin", Summary = "nearest class mean accuracy of the frozen features")]
public sealed class MyPluginEvaluator(MyPluginOptions options) : IEvaluator
{
    private const string Top1 = "eval/my-plugin/top1";

    public IReadOnlyList<MetricRange> Metrics { get; } = [MetricRange.Fraction(Top1)];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var probe = data.FeaturesOf(encoder, data.Probe, context.Device);
        var test = data.FeaturesOf(encoder, data.Test, context.Device);
        var (probeLabels, testLabels) = data.Labels("my-plugin", context.Device);
        if (options.Normalize) (probe, test) = (F.normalize(probe, dim: 1), F.normalize(test, dim: 1));
        var top1 = Accuracy(probe, probeLabels, test, testLabels, data.Classes);
        // The result and the protocol it was measured under, both logged (and the result returned).
        context.Log(Top1, top1);
        context.Log("eval/my-plugin/normalize", options.Normalize ? 1 : 0);
        return new Dictionary<string, double> { [Top1] = top1 };
    }

    /// <summary>The fraction of <paramref name="test"/> rows whose nearest class mean of <paramref name="probe"/> has their label.</summary>
    public static double Accuracy(Tensor probe, Tensor probeLabels, Tensor test, Tensor testLabels, int classes)
    {
        var means = torch.stack(Enumerable.Range(0, classes).Select(c => probe[probeLabels.eq(c)].mean([0])).ToArray());
        // Squared Euclidean distances [test, classes]; the nearest mean's class is the prediction.
        var predicted = (test.unsqueeze(1) - means.unsqueeze(0)).pow(2).sum(2).argmin(1);
        return predicted.eq(testLabels).to(ScalarType.Float64).mean().item();
    }
}
