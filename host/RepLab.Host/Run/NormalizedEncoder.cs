using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// An encoder behind a per-channel input normalisation, <c>(x - mean) / std</c>, so every caller
/// (methods, evaluators, sample grids) feeds images in [0, 1] and the encoder sees one distribution.
/// State keys: <c>input_mean</c>, <c>input_std</c> and the wrapped encoder's under <c>encoder.</c>.
/// Stages and feature maps are the wrapped encoder's, fed normalised input.
/// </summary>
internal sealed class NormalizedEncoder : EncoderModule, IExportable
{
    private readonly EncoderModule encoder;
    private readonly Tensor mean, std;  // buffers: moved in place by to(), loaded by load_state_dict

    public NormalizedEncoder(EncoderModule encoder, double[] mean, double[] std)
    {
        this.mean = register_buffer("input_mean", torch.tensor<double>(mean, [1, mean.Length, 1, 1], ScalarType.Float32));
        this.std = register_buffer("input_std", torch.tensor<double>(std, [1, std.Length, 1, 1], ScalarType.Float32));
        this.encoder = register_module("encoder", encoder);
    }

    public override int Features => encoder.Features;

    public override IReadOnlyList<EncoderStage> Stages => encoder.Stages;

    public override Tensor forward(Tensor input)
    {
        using var normalized = (input - mean) / std;
        return encoder.forward(normalized);
    }

    public override IReadOnlyList<Tensor> FeatureMaps(Tensor input)
    {
        using var normalized = (input - mean) / std;
        return encoder.FeatureMaps(normalized);
    }

    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Module(encoder, Normalize(graph, input));

    public override IReadOnlyList<ExportValue> ExportFeatureMaps(IExportGraph graph, ExportValue input) =>
        encoder.ExportFeatureMaps(graph, Normalize(graph, input));

    private ExportValue Normalize(IExportGraph graph, ExportValue input) =>
        graph.Div(graph.Sub(input, graph.State(this, "input_mean")), graph.State(this, "input_std"));
}
