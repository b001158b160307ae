using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.LinearProbe;

/// <summary>Options of the <c>linear-probe</c> evaluator.</summary>
public sealed record LinearProbeOptions : PluginOptions
{
    /// <summary>Passes over the training features (default 30).</summary>
    [Range(1, 10_000)]
    public int Epochs { get; init; } = 30;

    /// <summary>Mini-batch size of the logistic regression (default 256).</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam learning rate, cosine-annealed to zero over the epochs (default 1e-3).</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;

    /// <summary>L2 weight decay of the classifier (default 1e-5).</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1e-5;
}

/// <summary>
/// The linear evaluation protocol: features of the frozen encoder are extracted once, standardised
/// with the training split's mean and standard deviation, and a multinomial logistic regression is
/// trained on them; reports top-1 accuracy on the test split as <c>eval/linear-probe/top1</c>. The
/// encoder receives no gradient: its parameters are checked unchanged and gradient-free afterwards.
/// </summary>
[Plugin("linear-probe", Summary = "logistic regression on standardised frozen features")]
public sealed class LinearProbeEvaluator(LinearProbeOptions options) : IEvaluator
{
    public IReadOnlyList<MetricRange> Metrics => [MetricRange.Fraction("eval/linear-probe/top1")];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        var before = Fingerprint.Of(encoder);
        using var scope = torch.NewDisposeScope();
        var device = context.Device;
        var trainX = data.FeaturesOf(encoder, data.Probe, device);
        var testX = data.FeaturesOf(encoder, data.Test, device);
        var mean = trainX.mean(0, keepdim: true);
        var std = trainX.std(0, keepdim: true).clamp_min(1e-6);
        trainX = (trainX - mean) / std;
        testX = (testX - mean) / std;
        var (trainY, testY) = data.Labels("linear-probe", device);
        var classes = data.Classes;

        using var head = new nn.Linear(trainX.size(1), classes, device: device);
        using var opt = new optim.Adam(head.parameters(), lr: options.Lr, weight_decay: options.WeightDecay);
        var schedule = new optim.lr_scheduler.CosineAnnealingLR(opt, options.Epochs);
        using var g = new Generator(context.Seed);
        var n = trainX.size(0);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            context.Stopping.ThrowIfCancellationRequested();
            using var order = torch.randperm(n, generator: g).to(device);
            for (long start = 0; start < n; start += options.BatchSize)
            {
                using var step = torch.NewDisposeScope();
                var idx = order.slice(0, start, Math.Min(start + options.BatchSize, n));
                var loss = F.cross_entropy(head.forward(trainX.index_select(0, idx)), trainY.index_select(0, idx));
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
            schedule.step();
        }
        double top1;
        using (torch.no_grad())
            top1 = head.forward(testX).argmax(1).eq(testY).to(ScalarType.Float64).mean().item();

        if (Fingerprint.Of(encoder) != before)
            throw new InvalidOperationException("linear-probe changed the encoder or gave it a gradient");
        context.Log("eval/linear-probe/top1", top1);
        context.Log("eval/linear-probe/epochs", options.Epochs);
        context.Log("eval/linear-probe/lr", options.Lr);
        context.Log("eval/linear-probe/weight-decay", options.WeightDecay);
        context.Log("eval/linear-probe/labelled-images", data.Probe.Count);
        context.Log("eval/linear-probe/feature-dim", trainX.size(1));
        context.Log("eval/linear-probe/encoder-frozen", 1);
        return new Dictionary<string, double> { ["eval/linear-probe/top1"] = top1 };
    }
}
