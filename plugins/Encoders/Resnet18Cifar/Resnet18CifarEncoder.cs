using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Encoders.Resnet18Cifar;

/// <summary>Options of the <c>resnet18-cifar</c> encoder.</summary>
public sealed record Resnet18CifarOptions : PluginOptions
{
    /// <summary>Channels of the stem and the first layer; later layers double them (64: ResNet-18's 512 features).</summary>
    [Range(1, 1024)]
    public int Width { get; init; } = 64;
}

/// <summary>
/// ResNet-18 (He, Zhang, Ren &amp; Sun, "Deep Residual Learning for Image Recognition", CVPR 2016) in
/// the variant solo-learn and lightly use for 32x32 images: a 3x3 stride-1 stem without max-pool,
/// four layers of two basic blocks (64, 128, 256, 512 channels, strides 1, 2, 2, 2), global average
/// pooling to 512 features. State keys follow torchvision's resnet18 (conv1, bn1, layerN.M.conv1,
/// ..., layerN.0.downsample.0/1), so torchvision weights load by name. Stages: stem, layer1..layer4.
/// </summary>
[Plugin("resnet18-cifar", Summary = "ResNet-18 with a 3x3 stride-1 stem and no max-pool; 512 features", Citation = "He et al., CVPR 2016")]
public sealed class Resnet18CifarEncoder(Resnet18CifarOptions options) : IEncoder
{
    public EncoderModule Build(ImageShape input) => new Resnet18CifarNetwork(input, options.Width);
}

/// <summary>Two 3x3 conv + batch norm, ReLU between and after the sum with the identity or a 1x1 conv + batch-norm shortcut.</summary>
public sealed class BasicBlock : Module, IExportable
{
    private readonly nn.Conv2d conv1, conv2;
    private readonly nn.BatchNorm2d bn1, bn2;
    private readonly nn.Sequential? downsample;

    public BasicBlock(long inPlanes, long planes, long stride)
    {
        conv1 = register_module("conv1", new nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false));
        bn1 = register_module("bn1", new nn.BatchNorm2d(planes));
        conv2 = register_module("conv2", new nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false));
        bn2 = register_module("bn2", new nn.BatchNorm2d(planes));
        if (stride != 1 || inPlanes != planes)
            downsample = register_module("downsample", new nn.Sequential(new nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), new nn.BatchNorm2d(planes)));
    }

    public override Tensor forward(Tensor x)
    {
        // Intermediates are freed as soon as the next op has them (autograd keeps what it needs).
        using var a = conv1.forward(x);
        using var c = bn1.forward(a, NormActivation.ReLU);   // batch norm and ReLU in one kernel
        using var d = conv2.forward(c);
        using var e = bn2.forward(d);
        using var s = downsample?.forward(x);
        using var sum = e.add(s ?? x);
        return sum.relu();
    }

    public ExportValue Export(IExportGraph graph, ExportValue x)
    {
        var c = graph.Relu(graph.Module(bn1, graph.Module(conv1, x)));
        var e = graph.Module(bn2, graph.Module(conv2, c));
        return graph.Relu(graph.Add(e, downsample is null ? x : graph.Module(downsample, x)));
    }
}

/// <summary>The network; see <see cref="Resnet18CifarEncoder"/>.</summary>
public sealed class Resnet18CifarNetwork : EncoderModule, IExportable
{
    private readonly List<EncoderStage> stages = [];

    public Resnet18CifarNetwork(ImageShape input, int width)
    {
        var conv1 = register_module("conv1", new nn.Conv2d(input.Channels, width, 3, stride: 1, padding: 1, bias: false));
        var bn1 = register_module("bn1", new nn.BatchNorm2d(width));
        stages.Add(new EncoderStage("stem", new nn.Sequential(conv1, bn1, new nn.ReLU()), width));
        long inPlanes = width;
        foreach (var (i, stride) in new[] { (1, 1L), (2, 2L), (3, 2L), (4, 2L) })
        {
            var planes = (long)width << (i - 1);
            var layer = register_module($"layer{i}", new nn.Sequential(new BasicBlock(inPlanes, planes, stride), new BasicBlock(planes, planes, 1)));
            stages.Add(new EncoderStage($"layer{i}", layer, (int)planes));
            inPlanes = planes;
        }
        Features = (int)inPlanes;
        // torchvision's initialisation: Kaiming normal (fan out) for convolutions, batch norm 1 and 0.
        using var ng = torch.no_grad();
        foreach (var (_, m) in named_modules())
            if (m is nn.Conv2d c) nn.init.kaiming_normal_(c.weight, mode: "fan_out", nonlinearity: "relu");
    }

    public override int Features { get; }

    public override IReadOnlyList<EncoderStage> Stages => stages;

    public override Tensor forward(Tensor input) => FeatureMaps(input)[^1].mean([2, 3]);

    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Mean(ExportFeatureMaps(graph, input)[^1], [2, 3]);
}
