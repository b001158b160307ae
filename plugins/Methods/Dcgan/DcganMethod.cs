using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Dcgan;

/// <summary>Options of the <c>dcgan</c> method.</summary>
public sealed record DcganOptions : PluginOptions
{
    /// <summary>Dimensions of the generator's noise z (the paper's 100).</summary>
    [Range(1, 4096)]
    public int Noise { get; init; } = 100;

    /// <summary>Channels of the generator's last hidden layer; each earlier layer doubles them.</summary>
    [Range(1, 4096)]
    public int GeneratorWidth { get; init; } = 64;

    /// <summary>Target of real images in the discriminator's loss: 1, or e.g. 0.9 for one-sided label smoothing (Salimans et al., 2016).</summary>
    [Range(0.5, 1.0)]
    public double RealLabel { get; init; } = 1.0;

    /// <summary>Side of the grid the representation max-pools every discriminator map to (the paper's 4).</summary>
    [Range(1, 64)]
    public int Grid { get; init; } = 4;

    /// <summary>
    /// AC-GAN (Odena, Olah &amp; Shlens, ICML 2017): a class head on the discriminator and a generator
    /// conditioned on the class; the class loss on real images uses only the labels that
    /// <c>data.train-label-fraction</c> keeps (0 there leaves no labels, and no class loss).
    /// </summary>
    public bool AuxiliaryClassifier { get; init; }

    /// <summary>Weight of the auxiliary class loss against the real/fake loss.</summary>
    [Range(0.0, 100.0)]
    public double ClassWeight { get; init; } = 1.0;
}

/// <summary>
/// DCGAN (Radford, Metz &amp; Chintala, ICLR 2016). The discriminator is the experiment's encoder
/// (<c>dcgan-discriminator</c> is the paper's) with a logit convolution over its last map; the
/// generator mirrors it for the image size (transposed convolutions, batch norm, ReLU, tanh
/// output); both start from N(0, 0.02). Each step updates the discriminator on real and generated
/// images, then the generator, through the optimizer groups <c>discriminator</c> and <c>generator</c>
/// (Adam 2e-4, beta1 0.5). The representation is the paper's feature protocol: every discriminator
/// map max-pooled to 4x4 and concatenated.
/// </summary>
[Plugin("dcgan", Summary = "DCGAN; representation: every discriminator map max-pooled to 4x4", Citation = "Radford et al., ICLR 2016")]
public sealed class DcganMethod(DcganOptions options) : MethodBase, ISampleGrids
{
    private nn.Conv2d? logit;
    private nn.Conv2d? classHead;
    private int classes;
    private nn.Sequential? generator;
    private PooledFeatureMaps? representation;
    private Tensor? fixedNoise, fixedClasses;
    private int lastConvStage;

    public override MethodNeeds Needs => new()
    {
        TrainingLabels = options.AuxiliaryClassifier,
        OptimizerGroups = new Dictionary<string, OptimizerDefaults>
        {
            ["discriminator"] = new(OptimizerKind.Adam, 2e-4) { Beta1 = 0.5 },
            ["generator"] = new(OptimizerKind.Adam, 2e-4) { Beta1 = 0.5 },
        },
    };

    public override EncoderModule Representation => representation!;

    /// <summary>The discriminator's logit head, over the last convolutional map.</summary>
    public Module Logit => logit!;

    /// <summary>The generator: noise [N, z, 1, 1] to images in [-1, 1].</summary>
    public Module Generator => generator!;

    protected override void Build()
    {
        var input = Setup.Input;
        var (last, side) = LastConvMap(Encoder, input);
        lastConvStage = last;
        logit = Add("logit", new nn.Conv2d(Encoder.Stages[last].Channels, 1, side, bias: false));
        classes = options.AuxiliaryClassifier ? Setup.Classes : 0;
        if (options.AuxiliaryClassifier && classes == 0)
            Console.Error.WriteLine("replab: warning: dcgan: auxiliary-classifier without training labels (data.train-label-fraction 0, or an unlabelled split): no class loss");
        generator = Add("generator", MakeGenerator(input, options.Noise + classes, options.GeneratorWidth));
        DcganInit.Apply(logit);
        DcganInit.Apply(generator);
        representation = new PooledFeatureMaps(Encoder, input, options.Grid);
        if (classes > 0)
        {
            classHead = Add("class-head", new nn.Conv2d(Encoder.Stages[last].Channels, classes, side));
            DcganInit.Apply(classHead);
            Optimize("discriminator", Encoder, logit, classHead);
        }
        else Optimize("discriminator", Encoder, logit);
        Optimize("generator", generator);
        fixedNoise = torch.randn([64, options.Noise, 1, 1], device: Setup.Device).DetachFromDisposeScope();
        // With classes, the grid's rows cycle through them: row r shows class r mod classes.
        fixedClasses = classes == 0 ? null : (torch.arange(64, ScalarType.Int64, Setup.Device).floor_divide(8) % classes).to(ScalarType.Int64).DetachFromDisposeScope();
    }

    /// <summary>The last stage whose map is spatial, and its side.</summary>
    private static (int Stage, long Side) LastConvMap(EncoderModule encoder, ImageShape input)
    {
        if (encoder.Stages.Count == 0) throw new ArgumentException("dcgan needs an encoder with stages (dcgan-discriminator, conv-small)");
        using var scope = torch.NewDisposeScope();
        using var modes = ModuleModes.Eval(encoder);
        using var ng = torch.no_grad();
        var device = encoder.parameters().First().device;
        var maps = encoder.FeatureMaps(torch.zeros([1, input.Channels, input.Height, input.Width], device: device));
        for (var i = maps.Count - 1; i >= 0; i--)
            if (maps[i].size(2) > 1) return (i, Math.Min(maps[i].size(2), maps[i].size(3)));
        throw new ArgumentException("dcgan needs an encoder stage with a spatial map");
    }

    /// <summary>
    /// Noise to images of <paramref name="input"/>'s shape: a transposed convolution to a side of 4 to
    /// 7 (the image side halved while it stays even and at least 8), then 4x4 stride-2 transposed
    /// convolutions doubling the side, with batch norm and ReLU, the last to the image channels with tanh.
    /// </summary>
    public static nn.Sequential MakeGenerator(ImageShape input, int noise, int width)
    {
        var (side, ups) = (input.Height, 0);
        while (side % 2 == 0 && side / 2 >= 4) (side, ups) = (side / 2, ups + 1);
        if (ups == 0 || input.Width != input.Height)
            throw new ArgumentException($"the DCGAN generator needs square images whose side halves at least once to 4..7 pixels, got {input}");
        var channels = (long)width << (ups - 1);
        var g = new nn.Sequential(new nn.ConvTranspose2d(noise, channels, side, bias: false), new nn.BatchNorm2d(channels), new nn.ReLU());
        for (var i = 1; i < ups; i++, channels /= 2)
            g.append(new nn.ConvTranspose2d(channels, channels / 2, 4, stride: 2, padding: 1, bias: false)).append(new nn.BatchNorm2d(channels / 2)).append(new nn.ReLU());
        g.append(new nn.ConvTranspose2d(channels, input.Channels, 4, stride: 2, padding: 1, bias: false)).append(new nn.Tanh());
        return g;
    }

    /// <summary>The discriminator's real/fake logits [N] and, with the auxiliary classifier, class logits [N, classes], for images in [0, 1].</summary>
    public (Tensor Source, Tensor? Classes) Discriminate(Tensor images)
    {
        var map = Encoder.FeatureMaps(images)[lastConvStage];
        return (logit!.forward(map).flatten(), classHead?.forward(map).flatten(1));
    }

    /// <summary>Generated images in [0, 1] for noise <paramref name="z"/> (and, with the auxiliary classifier, classes <paramref name="labels"/>).</summary>
    public Tensor Generate(Tensor z, Tensor? labels = null) =>
        (generator!.forward(labels is null ? z : torch.cat([z, F.one_hot(labels, classes).to(z.dtype).unsqueeze(-1).unsqueeze(-1)], 1)) + 1) * 0.5;

    /// <summary>Noise for <paramref name="n"/> images, from the global generator.</summary>
    public Tensor SampleNoise(long n) => SampleDraws.Randn([n, options.Noise, 1, 1], Setup.Device);

    /// <summary>Classes for <paramref name="n"/> generated images (null without the auxiliary classifier).</summary>
    public Tensor? SampleClasses(long n) => classes == 0 ? null : SampleDraws.RandInt(0, classes, [n], Setup.Device);

    /// <summary>
    /// The auxiliary class loss on real images: cross-entropy over the labelled ones only (label -1
    /// is ignored; 0 when the batch has none).
    /// </summary>
    public static Tensor RealClassLoss(Tensor classLogits, Tensor labels)
    {
        using var known = labels.ge(0);
        return known.sum().item<long>() == 0 ? classLogits.sum() * 0 : F.cross_entropy(classLogits, labels, ignore_index: -1);
    }

    /// <summary>One discriminator update on real images and images generated from <paramref name="z"/>; returns its loss (class terms included).</summary>
    public Tensor DiscriminatorStep(Tensor real, Tensor z, Tensor? realLabels = null, Tensor? fakeLabels = null)
    {
        Tensor fake;
        using (torch.no_grad()) fake = Generate(z, fakeLabels);
        var (realSource, realClasses) = Discriminate(real);
        var (fakeSource, fakeClasses) = Discriminate(fake);
        var loss = F.binary_cross_entropy_with_logits(realSource, torch.full_like(realSource, options.RealLabel))
            + F.binary_cross_entropy_with_logits(fakeSource, torch.zeros_like(fakeSource));
        if (realClasses is not null && realLabels is not null && fakeLabels is not null)
            loss = loss + (RealClassLoss(realClasses, realLabels) + F.cross_entropy(fakeClasses!, fakeLabels)) * options.ClassWeight;
        Minimize(Optimizers["discriminator"], loss);
        return loss;
    }

    /// <summary>One generator update: images from <paramref name="z"/> labelled real (and of their classes) by the discriminator's losses; the discriminator is not updated.</summary>
    public Tensor GeneratorStep(Tensor z, Tensor? labels = null)
    {
        var (source, classLogits) = Discriminate(Generate(z, labels));
        var loss = F.binary_cross_entropy_with_logits(source, torch.ones_like(source));
        if (classLogits is not null && labels is not null) loss = loss + F.cross_entropy(classLogits, labels) * options.ClassWeight;
        Optimizers["discriminator"].zero_grad();
        Minimize(Optimizers["generator"], loss);
        Optimizers["discriminator"].zero_grad();
        return loss;
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var n = batch.Count;
        var realLabels = classes == 0 ? null : batch.Labels;
        var lossD = DiscriminatorStep(batch.Original, SampleNoise(n), realLabels, SampleClasses(n));
        var lossG = GeneratorStep(SampleNoise(n), SampleClasses(n));
        context.LogLoss("loss/discriminator", lossD);
        context.LogLoss("loss/generator", lossG);
    }

    public int SampleInputs => 0;

    /// <summary>64 samples from fixed noise; interpolations between pairs of the fixed noises (with classes: one class per row).</summary>
    public IReadOnlyList<SampleGrid> Grids(Tensor inputs)
    {
        var a = fixedNoise!.slice(0, 0, 8).unsqueeze(1);
        var b = fixedNoise.slice(0, 8, 16).unsqueeze(1);
        var t = torch.linspace(0, 1, 8, device: fixedNoise.device).view(1, 8, 1, 1, 1);
        var path = (a + (b - a) * t).flatten(0, 1);
        // Row r of either grid is class r mod classes (an interpolation row keeps one class).
        return [new SampleGrid("samples", Generate(fixedNoise, fixedClasses), 8), new SampleGrid("interpolations", Generate(path, fixedClasses), 8)];
    }
}
