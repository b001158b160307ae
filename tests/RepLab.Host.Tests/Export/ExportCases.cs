using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Export;

/// <summary>
/// The encoders the export tests write and check: the built-in encoders made through the plugin
/// registry (as a run makes them, so the exporter sees them only through the SDK), behind the host's
/// input normalisation or not, the DCGAN method's pooled representation, a linear head, and a module
/// of the other engine layers the exporter supports.
/// </summary>
public static class ExportCases
{
    /// <summary>The batch every case is checked on.</summary>
    public const int Batch = 4;

    private static readonly ImageShape Gray28 = new(1, 28, 28), Rgb32 = new(3, 32, 32);

    private static EncoderModule Encoder(string plugin, ImageShape shape, params (string, object)[] settings) =>
        BuiltIn.Create<IEncoder>(plugin, settings).Build(shape);

    private static EncoderModule Normalized(EncoderModule encoder, ImageShape shape) =>
        new NormalizedEncoder(encoder, [.. Enumerable.Range(0, shape.Channels).Select(c => 0.3 + 0.1 * c)], [.. Enumerable.Range(0, shape.Channels).Select(c => 0.25 + 0.05 * c)]);

    private static readonly Dictionary<string, (ImageShape Shape, Func<ImageShape, EncoderModule> Build)> All = new()
    {
        ["conv-small-28-batch-norm"] = (Gray28, s => Encoder("conv-small", s, ("Features", 32))),
        ["conv-small-28-norm-none"] = (Gray28, s => Encoder("conv-small", s, ("Features", 32), ("Norm", "none"))),
        ["conv-small-32-normalized"] = (Rgb32, s => Normalized(Encoder("conv-small", s, ("Features", 32)), s)),
        ["conv-small-28-linear-head"] = (Gray28, s => new LinearHeadEncoder(Encoder("conv-small", s, ("Features", 32)), 10)),
        ["conv-small-28-pooled"] = (Gray28, s => new PooledFeatureMaps(Encoder("conv-small", s, ("Features", 32)), s)),
        ["resnet18-cifar-32-w8"] = (Rgb32, s => Encoder("resnet18-cifar", s, ("Width", 8))),
        ["resnet18-cifar-32-w8-normalized"] = (Rgb32, s => Normalized(Encoder("resnet18-cifar", s, ("Width", 8)), s)),
        ["resnet18-cifar-32-w64"] = (Rgb32, s => Encoder("resnet18-cifar", s)),
        ["dcgan-discriminator-28"] = (Gray28, s => Encoder("dcgan-discriminator", s, ("Width", 8))),
        ["dcgan-discriminator-32"] = (Rgb32, s => Encoder("dcgan-discriminator", s, ("Width", 8))),
        // The DCGAN method's representation (DcganMethod.Build): the discriminator's maps pooled, behind the normalisation or not.
        ["dcgan-method-28-normalized"] = (Gray28, s => new PooledFeatureMaps(Normalized(Encoder("dcgan-discriminator", s, ("Width", 8)), s), s)),
        ["dcgan-method-32"] = (Rgb32, s => new PooledFeatureMaps(Encoder("dcgan-discriminator", s, ("Width", 8)), s)),
        ["engine-layers-28"] = (Gray28, _ => new LayerZoo()),
    };

    /// <summary>Every case's name.</summary>
    public static IReadOnlyList<string> CaseNames => [.. All.Keys];

    /// <summary>Every case's name, for a theory.</summary>
    public static TheoryData<string> Names => [.. All.Keys];

    /// <summary>
    /// Case <paramref name="name"/>: its encoder with random weights, batch-norm scales and shifts, and running
    /// statistics moved off their start by a few training-mode passes, in eval mode; a batch of images in
    /// [0, 1] and our features for it.
    /// </summary>
    public static (EncoderModule Encoder, ImageShape Shape, Tensor Images, Tensor Features) Make(string name)
    {
        var (shape, build) = All[name];
        torch.manual_seed((ulong)All.Keys.ToList().IndexOf(name) + 1);
        var encoder = build(shape);
        using var ng = torch.no_grad();
        using (var scope = torch.NewDisposeScope())
        {
            foreach (var (_, m) in encoder.named_modules())
            {
                if (m is not nn.BatchNorm { weight: { } w, bias: { } b }) continue;
                w.add_(torch.randn(w.shape) * 0.3);
                b.add_(torch.randn(b.shape) * 0.2);
            }
            encoder.train();
            for (var i = 0; i < 3; i++) encoder.forward(torch.rand([8, shape.Channels, shape.Height, shape.Width]));
            encoder.eval();
        }
        var images = torch.rand([Batch, shape.Channels, shape.Height, shape.Width]);
        return (encoder, shape, images, encoder.forward(images));
    }
}

/// <summary>
/// A test module of the engine layers the plugins do not use (grouped and dilated convolution, max and average
/// pooling with padding, adaptive average pooling to a grid that does not tile the map, BatchNorm1d, a partial
/// flatten, identity), each exported by type.
/// </summary>
internal sealed class LayerZoo : EncoderModule, IExportable
{
    private readonly nn.Sequential body;

    public LayerZoo()
    {
        body = register_module("body", new nn.Sequential(
            new nn.Conv2d(1, 8, 3, stride: 1, padding: 2, dilation: 2),
            new nn.Conv2d(8, 8, 3, stride: 2, padding: 1, groups: 4, bias: false),  // 14
            new nn.MaxPool2d(3, stride: 2, padding: 1),                              // 7
            new nn.ReLU(),
            new nn.AvgPool2d(3, stride: 1, padding: 1),                              // 7
            new nn.AdaptiveAvgPool2d(3),
            new nn.Identity(),
            new nn.Flatten(2, 3),                                                    // [N, 8, 9]
            new nn.Flatten(),
            new nn.Linear(72, 24),
            new nn.BatchNorm1d(24),
            new nn.LeakyReLU(0.1)));
    }

    public override int Features => 24;

    public override Tensor forward(Tensor input) => body.forward(input);

    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Module(body, input);
}
