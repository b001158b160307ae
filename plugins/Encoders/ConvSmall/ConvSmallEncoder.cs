using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Encoders.ConvSmall;

/// <summary>Options of the <c>conv-small</c> encoder.</summary>
public sealed record ConvSmallOptions : PluginOptions
{
    /// <summary>Feature dimension of the final linear layer (default 128).</summary>
    [Range(1, 65536)]
    public int Features { get; init; } = 128;

    /// <summary>Negative slope of the LeakyReLU activations (default 0.2, as in DCGAN).</summary>
    [Range(0.0, 1.0)]
    public double Slope { get; init; } = 0.2;

    /// <summary>
    /// The normalisation after each conv: batch (batch norm) or none (no normalisation; the state keys of
    /// the other layers stay the same) (default batch).
    /// </summary>
    public ConvSmallNorm Norm { get; init; } = ConvSmallNorm.Batch;
}

/// <summary>The <c>norm</c> of <c>conv-small</c>.</summary>
public enum ConvSmallNorm
{
    /// <summary>Batch norm after each conv.</summary>
    Batch,

    /// <summary>No normalisation.</summary>
    None,
}

/// <summary>
/// A small CNN for 28x28 and 32x32 images: conv 4x4/2 to 32, conv 4x4/2 to 64, conv 3x3/2 to
/// 128 (each with BatchNorm, or none with <c>norm: none</c>, and LeakyReLU), flatten 128x4x4, linear to <c>features</c>.
/// </summary>
[Plugin("conv-small", Summary = "three strided convs + linear; for 28x28 and 32x32 images")]
public sealed class ConvSmallEncoder(ConvSmallOptions options) : IEncoder
{
    public EncoderModule Build(ImageShape input) => new ConvSmallNetwork(input, options);
}

/// <summary>
/// The conv-small network; children are named like PyTorch's nn.Sequential of the same layers.
/// Stages: <c>block1</c>..<c>block3</c> (conv, BN, LeakyReLU; 32, 64, 128 channels) and <c>head</c>
/// (flatten and linear, a [N, F, 1, 1] map).
/// </summary>
public sealed class ConvSmallNetwork : EncoderModule, IExportable
{
    private readonly nn.Sequential body;
    private readonly List<EncoderStage> stages;

    public ConvSmallNetwork(ImageShape input, ConvSmallOptions options)
    {
        if (input.Height is < 16 or > 64 || input.Width is < 16 or > 64)
            throw new ArgumentException($"conv-small expects images of 16 to 64 pixels a side, got {input}");
        static long Down(long s, long k, long p) => (s + 2 * p - k) / 2 + 1;
        var h = Down(Down(Down(input.Height, 4, 1), 4, 1), 3, 1);
        var w = Down(Down(Down(input.Width, 4, 1), 4, 1), 3, 1);
        Features = options.Features;
        Module Norm(long channels) => options.Norm == ConvSmallNorm.Batch ? new nn.BatchNorm2d(channels) : new nn.Identity();
        body = register_module("body", new nn.Sequential(
            new nn.Conv2d(input.Channels, 32, 4, stride: 2, padding: 1), Norm(32), new nn.LeakyReLU(options.Slope),
            new nn.Conv2d(32, 64, 4, stride: 2, padding: 1), Norm(64), new nn.LeakyReLU(options.Slope),
            new nn.Conv2d(64, 128, 3, stride: 2, padding: 1), Norm(128), new nn.LeakyReLU(options.Slope),
            new nn.Flatten(), new nn.Linear(128 * h * w, options.Features)));
        // Views onto the body's layers (not registered as children: the state keys stay body.N).
        nn.Sequential Layers(int from, int count) => new(Enumerable.Range(from, count).Select(i => body[i]).ToArray());
        stages = [new("block1", Layers(0, 3), 32), new("block2", Layers(3, 3), 64), new("block3", Layers(6, 3), 128), new("head", Layers(9, 2), options.Features)];
    }

    public override int Features { get; }

    public override IReadOnlyList<EncoderStage> Stages => stages;

    public override Tensor forward(Tensor input) => body.forward(input);

    /// <summary>The stages' maps; the head's [N, F] output as a [N, F, 1, 1] map.</summary>
    public override IReadOnlyList<Tensor> FeatureMaps(Tensor input)
    {
        var maps = base.FeatureMaps(input).ToList();
        maps[^1] = maps[^1].unsqueeze(-1).unsqueeze(-1);
        return maps;
    }

    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Module(body, input);

    /// <summary>The stages' maps in an export graph, the head's as a [N, F, 1, 1] map as in <see cref="FeatureMaps"/>.</summary>
    public override IReadOnlyList<ExportValue> ExportFeatureMaps(IExportGraph graph, ExportValue input)
    {
        var maps = base.ExportFeatureMaps(graph, input).ToList();
        maps[^1] = graph.Unsqueeze(graph.Unsqueeze(maps[^1], -1), -1);
        return maps;
    }
}
