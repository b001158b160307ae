using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Encoders.DcganDiscriminator;

/// <summary>Options of the <c>dcgan-discriminator</c> encoder.</summary>
public sealed record DcganDiscriminatorOptions : PluginOptions
{
    /// <summary>Channels of the first block; each further block doubles them (the paper's 64 for 64x64 images).</summary>
    [Range(1, 4096)]
    public int Width { get; init; } = 64;

    /// <summary>Side of the grid every block's map is max-pooled to for the features (the paper's 4).</summary>
    [Range(1, 64)]
    public int Grid { get; init; } = 4;

    /// <summary>Negative slope of the LeakyReLU activations (the paper's 0.2).</summary>
    [Range(0.0, 1.0)]
    public double Slope { get; init; } = 0.2;
}

/// <summary>
/// The DCGAN discriminator's body (Radford, Metz &amp; Chintala, "Unsupervised Representation
/// Learning with Deep Convolutional Generative Adversarial Networks", ICLR 2016): 4x4 stride-2
/// convolutions without bias, batch norm after all but the first, LeakyReLU 0.2, halving the side
/// until it is 6 or less (3 blocks for 28 and 32 pixels, 4 for 64 and 96), weights drawn from
/// N(0, 0.02) and batch-norm scales from N(1, 0.02). Its features are the paper's CIFAR-10 protocol:
/// every block's map max-pooled to 4x4 and concatenated. The DCGAN method adds the logit on top.
/// </summary>
[Plugin("dcgan-discriminator", Summary = "DCGAN discriminator body; features: every block's map max-pooled to 4x4", Citation = "Radford et al., ICLR 2016")]
public sealed class DcganDiscriminatorEncoder(DcganDiscriminatorOptions options) : IEncoder
{
    public EncoderModule Build(ImageShape input) => new DcganDiscriminatorNetwork(input, options);
}

/// <summary>The network: <c>blocks.N</c> are nn.Sequential(conv, [batch norm,] LeakyReLU) as in PyTorch.</summary>
public sealed class DcganDiscriminatorNetwork : EncoderModule, IExportable
{
    private readonly List<EncoderStage> stages = [];
    private readonly int grid;

    public DcganDiscriminatorNetwork(ImageShape input, DcganDiscriminatorOptions options)
    {
        if (Math.Min(input.Height, input.Width) < 8)
            throw new ArgumentException($"dcgan-discriminator needs images of at least 8 pixels a side, got {input}");
        var blocks = new nn.Sequential();
        var (side, channels, inChannels) = (Math.Min(input.Height, input.Width), options.Width, input.Channels);
        while (side > 6)
        {
            var block = blocks.Count == 0
                ? new nn.Sequential(new nn.Conv2d(inChannels, channels, 4, stride: 2, padding: 1, bias: false), new nn.LeakyReLU(options.Slope))
                : new nn.Sequential(new nn.Conv2d(inChannels, channels, 4, stride: 2, padding: 1, bias: false), new nn.BatchNorm2d(channels), new nn.LeakyReLU(options.Slope));
            blocks.append(block);
            stages.Add(new EncoderStage($"block{blocks.Count}", block, channels));
            (side, inChannels, channels) = (side / 2, channels, channels * 2);
        }
        register_module("blocks", blocks);
        DcganInit.Apply(this);
        grid = options.Grid;
        Features = stages.Sum(s => s.Channels) * grid * grid;
    }

    public override int Features { get; }

    public override IReadOnlyList<EncoderStage> Stages => stages;

    public override Tensor forward(Tensor input) => PooledFeatureMaps.Pool(FeatureMaps(input), grid);

    public ExportValue Export(IExportGraph graph, ExportValue input) => PooledFeatureMaps.ExportPool(graph, ExportFeatureMaps(graph, input), grid);
}
