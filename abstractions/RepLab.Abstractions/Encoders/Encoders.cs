using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>One stage of an encoder: a named block whose output is a feature map.</summary>
/// <param name="Name">The stage's name, e.g. <c>block1</c>.</param>
/// <param name="Module">The block itself (to freeze, copy or train alone).</param>
/// <param name="Channels">Channels of the stage's output map.</param>
public sealed record EncoderStage(string Name, Module Module, int Channels);

/// <summary>
/// An encoder (backbone) whose forward maps images [N, C, H, W] in [0, 1] to features [N, F].
/// An encoder made of stages (convolutional blocks, then a head) lists them in
/// <see cref="Stages"/> and returns every stage's output map from <see cref="FeatureMaps"/>, for
/// methods that read intermediate maps (DCGAN's feature protocol, layer-wise pretraining,
/// inpainting's context encoder). Wrappers (input normalisation) forward both.
/// </summary>
public abstract class EncoderModule : Module
{
    /// <summary>The feature dimension F.</summary>
    public abstract int Features { get; }

    /// <summary>The encoder's stages in forward order; empty when it does not expose them.</summary>
    public virtual IReadOnlyList<EncoderStage> Stages => [];

    /// <summary>
    /// The output map of each stage (in <see cref="Stages"/> order) for <paramref name="input"/>;
    /// their shapes are [N, stage channels, h, w]. By default the stages run one after the other,
    /// each on the previous one's output; an encoder whose stages are not a plain chain overrides it.
    /// </summary>
    /// <exception cref="NotSupportedException">The encoder exposes no stages.</exception>
    public virtual IReadOnlyList<Tensor> FeatureMaps(Tensor input)
    {
        if (Stages.Count == 0) throw new NotSupportedException($"{GetType().Name} exposes no stages or feature maps");
        var maps = new List<Tensor>();
        var x = input;
        foreach (var stage in Stages) maps.Add(x = stage.Module.forward(x));
        return maps;
    }

    /// <summary>
    /// <see cref="FeatureMaps"/> for an exporter (<see cref="IExportGraph"/>): the same maps, with the same shapes,
    /// as graph values. By default each stage's module is exported on the previous stage's output, as
    /// <see cref="FeatureMaps"/> runs them; an encoder that overrides <see cref="FeatureMaps"/> overrides this alike.
    /// </summary>
    /// <exception cref="NotSupportedException">The encoder exposes no stages, or overrides <see cref="FeatureMaps"/> but not this
    /// (its maps are not the plain chain of its stages, so chaining them here would describe other maps).</exception>
    public virtual IReadOnlyList<ExportValue> ExportFeatureMaps(IExportGraph graph, ExportValue input)
    {
        if (Stages.Count == 0) throw new NotSupportedException($"{GetType().Name} exposes no stages or feature maps");
        if (GetType().GetMethod(nameof(FeatureMaps), [typeof(Tensor)])!.DeclaringType != typeof(EncoderModule)
            && GetType().GetMethod(nameof(ExportFeatureMaps), [typeof(IExportGraph), typeof(ExportValue)])!.DeclaringType == typeof(EncoderModule))
            throw new NotSupportedException($"{GetType().Name} overrides FeatureMaps but not ExportFeatureMaps, so how its maps are computed cannot be exported; override ExportFeatureMaps alike");
        var maps = new List<ExportValue>();
        var x = input;
        foreach (var stage in Stages) maps.Add(x = graph.Module(stage.Module, x));
        return maps;
    }
}

/// <summary>A backbone factory: builds a fresh encoder for the dataset's image shape.</summary>
public interface IEncoder : IPlugin
{
    /// <summary>Builds an encoder for inputs of <paramref name="input"/> shape, initialised from the global seed.</summary>
    EncoderModule Build(ImageShape input);
}

/// <summary>
/// Given to methods at build time: more encoders of the experiment's kind, built exactly as the
/// run's own (same options, same input normalisation, on the run's device). MoCo's key encoder,
/// BYOL's target, jigsaw's tile encoder and fine-tuning on a copy come from here.
/// </summary>
public interface IEncoderFactory
{
    /// <summary>A freshly initialised encoder (drawn from the global generator), in training mode, on the run's device.</summary>
    EncoderModule Build();
}

/// <summary>Shared plumbing on encoders and modules: copies and frozen copies (the blocks' <c>MomentumTarget</c> updates a frozen copy as an EMA).</summary>
public static class EncoderCopies
{
    /// <summary>
    /// A new encoder of the factory's kind holding <paramref name="source"/>'s parameters and buffers.
    /// With <paramref name="frozen"/> its parameters need no gradient and it is in eval mode: a target
    /// network updated only by an exponential moving average (<c>RepLab.Blocks.MomentumTarget.Update</c>).
    /// </summary>
    public static EncoderModule Copy(this IEncoderFactory factory, EncoderModule source, bool frozen = false)
    {
        var copy = factory.Build();
        CopyInto(copy, source);
        if (frozen)
        {
            copy.requires_grad_(false);
            copy.eval();
        }
        return copy;
    }

    /// <summary>Copies every parameter and buffer of <paramref name="source"/> into <paramref name="target"/> (same architecture).</summary>
    public static void CopyInto(Module target, Module source)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var from = source.state_dict();
        foreach (var (name, t) in target.state_dict())
        {
            if (!from.TryGetValue(name, out var s)) throw new ArgumentException($"{source.GetType().Name} has no '{name}' to copy into {target.GetType().Name}");
            t.copy_(s);
        }
    }
}

/// <summary>
/// An encoder followed by a linear map to <see cref="Features"/> dimensions: a VAE's posterior
/// mean, a projected representation, a classifier's logits. State keys: the encoder's under
/// <c>encoder.</c>, the map's under <c>head.</c>.
/// </summary>
public sealed class LinearHeadEncoder : EncoderModule, IExportable
{
    private readonly nn.Linear head;

    /// <summary>Puts a new <c>nn.Linear(encoder.Features, features)</c> (initialised as PyTorch's) after <paramref name="encoder"/>, which becomes a child: its parameters train with the head's.</summary>
    public LinearHeadEncoder(EncoderModule encoder, int features)
    {
        Encoder = register_module("encoder", encoder);
        head = register_module("head", new nn.Linear(encoder.Features, features));
        Features = features;
    }

    /// <summary>The encoder underneath.</summary>
    public EncoderModule Encoder { get; }

    /// <inheritdoc />
    public override int Features { get; }

    /// <summary>The linear map alone, on the encoder's features <paramref name="features"/>.</summary>
    public Tensor Head(Tensor features) => head.forward(features);

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => head.forward(Encoder.forward(input));

    /// <inheritdoc />
    public ExportValue Export(IExportGraph graph, ExportValue input) => graph.Module(head, graph.Module(Encoder, input));
}

/// <summary>
/// Features from an encoder's intermediate maps, the DCGAN paper's protocol (Radford et al., 2016,
/// section 5.1): every convolutional stage's map max-pooled to a <c>grid</c> x <c>grid</c> spatial
/// grid, flattened and concatenated. Stages whose map is 1x1 (a linear head) are left out.
/// </summary>
public sealed class PooledFeatureMaps : EncoderModule, IExportable
{
    private readonly int grid;
    private readonly bool[] pooled;

    /// <summary>
    /// Pools <paramref name="encoder"/>'s stages for inputs shaped <paramref name="input"/>; one forward of a zero batch (in
    /// evaluation mode, without gradients) finds which stages are spatial and fixes <see cref="Features"/> as the sum of
    /// their channels times <paramref name="grid"/>². Throws when the encoder exposes no stages.
    /// </summary>
    public PooledFeatureMaps(EncoderModule encoder, ImageShape input, int grid = 4)
    {
        if (encoder.Stages.Count == 0) throw new ArgumentException($"{encoder.GetType().Name} exposes no stages to pool");
        Encoder = register_module("encoder", encoder);
        this.grid = grid;
        using var scope = torch.NewDisposeScope();
        using var modes = ModuleModes.Eval(encoder);
        using var ng = torch.no_grad();
        var device = encoder.parameters().FirstOrDefault()?.device ?? Device.CPU;
        var maps = encoder.FeatureMaps(torch.zeros([1, input.Channels, input.Height, input.Width], device: device));
        pooled = maps.Select(m => m.dim() == 4 && m.size(2) * m.size(3) > 1).ToArray();
        Features = (int)maps.Where((_, i) => pooled[i]).Sum(m => m.size(1)) * grid * grid;
    }

    /// <summary>The encoder whose maps are pooled.</summary>
    public EncoderModule Encoder { get; }

    /// <inheritdoc />
    public override int Features { get; }

    /// <summary>Every map of <paramref name="maps"/> max-pooled to <paramref name="grid"/> x <paramref name="grid"/>, flattened and concatenated: [N, sum of C x grid x grid].</summary>
    public static Tensor Pool(IEnumerable<Tensor> maps, int grid) =>
        torch.cat(maps.Select(m => F.adaptive_max_pool2d(m, grid).flatten(1)).ToList(), 1);

    /// <summary><see cref="Pool"/> in an export graph: the same maps pooled, flattened and concatenated.</summary>
    public static ExportValue ExportPool(IExportGraph graph, IEnumerable<ExportValue> maps, int grid) =>
        graph.Concat(maps.Select(m => graph.Flatten(graph.AdaptiveMaxPool(m, grid))).ToList(), 1);

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Pool(Encoder.FeatureMaps(input).Where((_, i) => pooled[i]), grid);

    /// <inheritdoc />
    public ExportValue Export(IExportGraph graph, ExportValue input) =>
        ExportPool(graph, Encoder.ExportFeatureMaps(graph, input).Where((_, i) => pooled[i]), grid);
}
