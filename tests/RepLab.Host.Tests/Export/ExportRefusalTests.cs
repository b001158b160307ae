using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Export;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Export;

/// <summary>An encoder of given layers (a Sequential named <c>body</c>), exported by walking them.</summary>
internal sealed class SequentialEncoder : EncoderModule, IExportable
{
    private readonly nn.Sequential body;

    public SequentialEncoder(int features, params Module[] layers)
    {
        body = register_module("body", new nn.Sequential(layers));
        Features = features;
    }

    public override int Features { get; }

    public override Tensor forward(Tensor input) => body.forward(input);

    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Module(body, input);
}

/// <summary>A third party's layer the exporter does not know (it does not implement IExportable).</summary>
internal sealed class FancyConv : Module
{
    private readonly nn.Conv2d conv = new(8, 8, 3, padding: 1);

    public FancyConv() => register_module("conv", conv);

    public override Tensor forward(Tensor input) => conv.forward(input).sin();
}

/// <summary>A third party's encoder with stages of engine layers but no IExportable: its maps can be exported, its forward cannot.</summary>
internal sealed class StagedEncoder : EncoderModule
{
    private readonly List<EncoderStage> stages;

    public StagedEncoder()
    {
        var block1 = register_module("block1", new nn.Sequential(new nn.Conv2d(1, 4, 4, stride: 2, padding: 1), new nn.ReLU()));
        var block2 = register_module("block2", new nn.Sequential(new nn.Conv2d(4, 8, 4, stride: 2, padding: 1), new nn.ReLU()));
        stages = [new("block1", block1, 4), new("block2", block2, 8)];
    }

    public override int Features => 8;

    public override IReadOnlyList<EncoderStage> Stages => stages;

    public override Tensor forward(Tensor input) => FeatureMaps(input)[^1].mean([2, 3]);
}

/// <summary>A staged encoder whose maps are not the plain chain of its stages (it halves the second stage's map): the default export of its maps would describe other maps.</summary>
internal sealed class ScaledMapsEncoder : EncoderModule
{
    private readonly StagedEncoder inner = new();

    public ScaledMapsEncoder() => register_module("inner", inner);

    public override int Features => 8;

    public override IReadOnlyList<EncoderStage> Stages => inner.Stages;

    public override IReadOnlyList<Tensor> FeatureMaps(Tensor input)
    {
        var maps = inner.FeatureMaps(input);
        return [maps[0], maps[1] * 0.5];
    }

    public override Tensor forward(Tensor input) => inner.forward(input);
}

/// <summary>A layer the exporter cannot write stops the export before anything is written, naming the layer's state path and type.</summary>
public class ExportRefusalTests : IDisposable
{
    private static readonly ImageShape Shape = new(1, 28, 28);
    private readonly string dir = Directory.CreateTempSubdirectory("replab-export-refusal-").FullName;

    public void Dispose()
    {
        Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static SequentialEncoder WithFancyLayer() => new(10,
        new nn.Conv2d(1, 8, 4, stride: 2, padding: 1), new nn.BatchNorm2d(8), new nn.LeakyReLU(0.2), new FancyConv(),
        new nn.Flatten(), new nn.Linear(8 * 14 * 14, 10));

    [Theory]
    [InlineData(ExportFormat.Onnx)]
    [InlineData(ExportFormat.Pytorch)]
    public void An_unsupported_layer_is_named_by_its_state_path_and_type_and_nothing_is_written(ExportFormat format)
    {
        using var encoder = new LinearHeadEncoder(WithFancyLayer(), 5);
        encoder.eval();
        var folder = Path.Combine(dir, "export");
        var act = () => EncoderExport.Write(encoder, Shape, format, folder, new Dictionary<string, string>());
        var refusal = act.Should().Throw<ExportNotSupportedException>().Which;
        refusal.Message.Should().StartWith("encoder.body.3 is a RepLab.Host.Tests.Export.FancyConv, which the exporter does not support (supported: Conv2d, ")
            .And.EndWith("; a custom layer can implement RepLab.Abstractions.IExportable");
        (refusal.ModulePath, refusal.ModuleType).Should().Be(("encoder.body.3", typeof(FancyConv).FullName!));
        Directory.Exists(folder).Should().BeFalse("the walk fails before the folder is made");

        Directory.CreateDirectory(folder);
        act.Should().Throw<ExportNotSupportedException>();
        Directory.EnumerateFileSystemEntries(folder).Should().BeEmpty("nothing is written, not even a temporary file");
    }

    [Fact]
    public void An_encoder_without_IExportable_is_refused_but_its_stages_export_under_the_dcgan_protocol()
    {
        using var staged = new StagedEncoder();
        var act = () => EncoderExport.Write(staged, Shape, ExportFormat.Onnx, dir, new Dictionary<string, string>());
        act.Should().Throw<ExportNotSupportedException>().WithMessage("the exported module is a RepLab.Host.Tests.Export.StagedEncoder, which the exporter does not support*");

        // Its stages are engine layers: the pooled maps (DcganMethod's representation) need nothing from it.
        using var pooled = new PooledFeatureMaps(staged, Shape);
        pooled.eval();
        EncoderExport.Write(pooled, Shape, ExportFormat.Onnx, dir, new Dictionary<string, string>())
            .Should().Equal(Path.Combine(dir, "encoder.onnx"));
    }

    [Fact]
    public void Maps_computed_otherwise_than_by_chaining_the_stages_are_refused_not_exported_as_the_chain()
    {
        using var pooled = new PooledFeatureMaps(new ScaledMapsEncoder(), Shape);
        pooled.eval();
        var act = () => EncoderExport.Write(pooled, Shape, ExportFormat.Onnx, dir, new Dictionary<string, string>());
        act.Should().Throw<ExportNotSupportedException>().WithMessage("*ScaledMapsEncoder overrides FeatureMaps but not ExportFeatureMaps*");
        Directory.EnumerateFileSystemEntries(dir).Should().BeEmpty();
    }

    [Fact]
    public void A_described_forward_whose_shapes_do_not_fit_is_the_encoders_to_fix_and_named_at_its_module()
    {
        // A Linear over 10 inputs after a flatten of 8 x 14 x 14: the forward the encoder describes cannot run.
        using var encoder = new SequentialEncoder(5, new nn.Conv2d(1, 8, 4, stride: 2, padding: 1), new nn.Flatten(), new nn.Linear(10, 5));
        var act = () => EncoderExport.Write(encoder, Shape, ExportFormat.Onnx, dir, new Dictionary<string, string>());
        act.Should().Throw<ExportNotSupportedException>().WithMessage("export: body.2 (Linear from 10) got [batch, 1568]*")
            .Which.ModulePath.Should().Be("body.2");
    }

    [Fact]
    public void A_batch_norm_without_running_statistics_is_refused()
    {
        using var encoder = new SequentialEncoder(8, new nn.Conv2d(1, 8, 28), new nn.BatchNorm2d(8, track_running_stats: false), new nn.Flatten());
        var act = () => EncoderExport.Write(encoder, Shape, ExportFormat.Pytorch, dir, new Dictionary<string, string>());
        act.Should().Throw<ExportNotSupportedException>().WithMessage("body.1 is a RepLab.Torch.nn.BatchNorm2d, without running statistics*");
    }
}
