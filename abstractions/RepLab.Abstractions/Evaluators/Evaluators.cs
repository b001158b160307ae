using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// Labelled splits an evaluator scores a frozen encoder on. Features are computed once per split
/// and shared by every evaluator of one evaluation (<see cref="FeaturesOf"/>).
/// </summary>
public sealed class EvaluationData(ImageSet probe, ImageSet test) : IDisposable
{
    private readonly Dictionary<ImageSet, Tensor> cache = new(ReferenceEqualityComparer.Instance);

    /// <summary>The split the probes are fitted on (kNN's memory): <c>data.probe-split</c>, or its labelled fraction.</summary>
    public ImageSet Probe { get; } = probe;

    /// <summary>The split the probes are scored on.</summary>
    public ImageSet Test { get; } = test;

    /// <summary>Classes of the labelled splits.</summary>
    public int Classes => Math.Max(Probe.Classes, Test.Classes);

    /// <summary>Features [N, F] of <paramref name="set"/> under the frozen <paramref name="encoder"/>, computed on first use; owned by this object.</summary>
    public Tensor FeaturesOf(EncoderModule encoder, ImageSet set, Device device)
    {
        if (!cache.TryGetValue(set, out var f)) cache[set] = f = Features.Extract(encoder, set, device).DetachFromDisposeScope();
        return f;
    }

    /// <summary>The probe and test labels on <paramref name="device"/>; an error naming <paramref name="evaluator"/> when a split has none.</summary>
    public (Tensor Probe, Tensor Test) Labels(string evaluator, Device device) =>
        (Probe.Labels?.to(device) ?? throw new ArgumentException($"{evaluator} needs labels on the probe split {Probe.Name}"),
         Test.Labels?.to(device) ?? throw new ArgumentException($"{evaluator} needs labels on the test split {Test.Name}"));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in cache.Values) f.Dispose();
        cache.Clear();
    }
}

/// <summary>A metric an evaluator reports, with the range its values lie in (ARI reaches below 0, a loss has no upper end).</summary>
public sealed record MetricRange(string Key, double Min, double Max)
{
    /// <summary>An accuracy-like metric in [0, 1].</summary>
    public static MetricRange Fraction(string key) => new(key, 0, 1);
}

/// <summary>
/// An evaluation protocol on a frozen encoder (linear probe, kNN, ...). It must not change the
/// encoder; it logs its metrics and its protocol settings through the context.
/// </summary>
public interface IEvaluator : IPlugin
{
    /// <summary>The metrics <see cref="Evaluate"/> returns, with their ranges.</summary>
    IReadOnlyList<MetricRange> Metrics { get; }

    /// <summary>Scores <paramref name="encoder"/>; returns metric name to value (also logged).</summary>
    IReadOnlyDictionary<string, double> Evaluate(EncoderModule encoder, EvaluationData data, IRunContext context);
}
