using System.ComponentModel.DataAnnotations;
using System.Text;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.FineTune;

/// <summary>Options of the <c>fine-tune</c> evaluator.</summary>
public sealed record FineTuneOptions : PluginOptions
{
    /// <summary>Passes over the labelled probe split.</summary>
    [Range(1, 10_000)]
    public int Epochs { get; init; } = 10;

    /// <summary>Images per step.</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam learning rate of the new classification head.</summary>
    [Range(1e-8, 10.0)]
    public double HeadLr { get; init; } = 1e-3;

    /// <summary>Adam learning rate of the encoder (usually smaller than the head's; 0 freezes it).</summary>
    [Range(0.0, 10.0)]
    public double EncoderLr { get; init; } = 1e-4;

    /// <summary>L2 weight decay of both.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1e-5;

    /// <summary>Dropout before the head.</summary>
    [Range(0.0, 0.99)]
    public double Dropout { get; init; }
}

/// <summary>
/// Fine-tuning: the encoder and a new linear head trained together on the labelled probe split
/// (cross-entropy, Adam with separate learning rates, the encoder in training mode), scored on the
/// test split after every epoch, so convergence from different pretrainings can be compared. The
/// curve is logged per epoch (<c>eval/fine-tune/epoch-NNN/top1</c>) and saved as
/// <c>fine-tune/curve.csv</c>; with <c>data.label-fraction</c> it is the few-label protocol. The
/// evaluated encoder is put back exactly as it was (weights, buffers, modes, no gradient).
/// </summary>
[Plugin("fine-tune", Summary = "encoder and a new head trained with labels; test accuracy per epoch")]
public sealed class FineTuneEvaluator(FineTuneOptions options) : IEvaluator
{
    public IReadOnlyList<MetricRange> Metrics => [MetricRange.Fraction("eval/fine-tune/top1")];

    public IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context)
    {
        var device = context.Device;
        var saved = new Dictionary<string, Tensor>();
        foreach (var (k, t) in encoder.state_dict()) saved[k] = t.detach().clone().DetachFromDisposeScope();
        var trainable = encoder.parameters().Select(p => (p, p.requires_grad)).ToList();
        using var modes = ModuleModes.Eval(encoder);
        var curve = new List<double>();
        try
        {
            using var scope = torch.NewDisposeScope();
            var (probeY, testY) = data.Labels("fine-tune", device);
            using var head = new nn.Linear(encoder.Features, data.Classes, device: device);
            foreach (var (p, _) in trainable) p.requires_grad = options.EncoderLr > 0;
            var groups = new List<optim.ParamGroup> { new(head.parameters(), new Dictionary<string, double> { ["lr"] = options.HeadLr }) };
            if (options.EncoderLr > 0) groups.Add(new(encoder.parameters(), new Dictionary<string, double> { ["lr"] = options.EncoderLr }));
            using var opt = new optim.Adam(groups, lr: options.HeadLr, weight_decay: options.WeightDecay);
            using var g = new Generator(context.Seed);
            var n = data.Probe.Count;
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                encoder.train();
                using var order = torch.randperm(n, generator: g);
                for (long start = 0; start < n; start += options.BatchSize)
                {
                    context.Stopping.ThrowIfCancellationRequested();
                    using var step = torch.NewDisposeScope();
                    var idx = order.slice(0, start, Math.Min(start + options.BatchSize, n));
                    var x = data.Probe.Images.index_select(0, idx).to(device, ScalarType.Float32) / 255.0;
                    var logits = head.forward(F.dropout(encoder.forward(x), options.Dropout, training: options.Dropout > 0));
                    var loss = F.cross_entropy(logits, probeY.index_select(0, idx.to(device)));
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                }
                encoder.eval();
                var top1 = Accuracy(encoder, head, data.Test, testY, device);
                curve.Add(top1);
                context.Log($"eval/fine-tune/epoch-{epoch + 1:D3}/top1", top1);
            }
        }
        finally
        {
            using (torch.no_grad())
                foreach (var (k, t) in encoder.state_dict()) t.copy_(saved[k]);
            foreach (var t in saved.Values) t.Dispose();
            foreach (var (p, requires) in trainable)
            {
                p.grad = null;
                p.requires_grad = requires;
            }
        }
        var csv = new StringBuilder("epoch,top1\n");
        for (var i = 0; i < curve.Count; i++) csv.Append($"{i + 1},{curve[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\n");
        context.SaveArtifact("fine-tune/curve.csv", Encoding.UTF8.GetBytes(csv.ToString()));
        context.Log("eval/fine-tune/top1", curve[^1]);
        context.Log("eval/fine-tune/epochs", options.Epochs);
        context.Log("eval/fine-tune/head-lr", options.HeadLr);
        context.Log("eval/fine-tune/encoder-lr", options.EncoderLr);
        context.Log("eval/fine-tune/labelled-images", data.Probe.Count);
        context.Log("eval/fine-tune/feature-dim", encoder.Features);
        return new Dictionary<string, double> { ["eval/fine-tune/top1"] = curve[^1] };
    }

    private static double Accuracy(EncoderModule encoder, Module head, ImageSet set, Tensor labels, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        long correct = 0;
        for (long start = 0; start < set.Count; start += 512)
        {
            using var chunk = torch.NewDisposeScope();
            var end = Math.Min(start + 512, set.Count);
            var x = set.Images.slice(0, start, end).to(device, ScalarType.Float32) / 255.0;
            correct += head.forward(encoder.forward(x)).argmax(1).eq(labels.slice(0, start, end)).sum().item<long>();
        }
        return (double)correct / set.Count;
    }
}
