using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Inpainting;

/// <summary>Where the context encoder's hole is.</summary>
public enum HoleRegion
{
    /// <summary>A square in the image's centre (the paper's central region).</summary>
    Center,

    /// <summary>A square of the same size at a random place in each image (the paper's random block).</summary>
    Random,
}

/// <summary>Options of the <c>inpainting</c> method (defaults: the paper's).</summary>
public sealed record InpaintingOptions : PluginOptions
{
    /// <summary>Where the hole is: center or random.</summary>
    public HoleRegion Region { get; init; } = HoleRegion.Center;

    /// <summary>The hole's side as a fraction of the image's (the paper's 1/2: a quarter of the area).</summary>
    [Range(0.05, 1.0)]
    public double HoleFraction { get; init; } = 0.5;

    /// <summary>The value the hole is filled with in the encoder's input (about the paper's mean pixel).</summary>
    [Range(0.0, 1.0)]
    public double Fill { get; init; } = 0.5;

    /// <summary>Weight of the adversarial loss (the paper's 0.001; 0 turns the discriminator off). The reconstruction loss is weighted 1 - this.</summary>
    [Range(0.0, 1.0)]
    public double AdversarialWeight { get; init; }

    /// <summary>Adam lr of encoder and decoder.</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;
}

/// <summary>
/// The context encoder (Pathak, Krähenbühl, Donahue, Darrell &amp; Efros, "Context Encoders: Feature
/// Learning by Inpainting", CVPR 2016): a region of each image is blanked out, the encoder sees
/// the rest and a decoder (the autoencoder's mirrored decoder) paints the whole image; the L2
/// loss counts only the missing region. With <c>adversarial-weight</c> above 0 a discriminator (a
/// fresh encoder of the experiment's kind with a linear real/fake head, optimizer group
/// <c>discriminator</c>) judges images whose hole is filled by the decoder, and the loss becomes
/// (1 - w) L2 + w adversarial, as in the paper. The representation is the encoder.
/// </summary>
[Plugin("inpainting", Summary = "context encoder: reconstruct a masked region from its surroundings", Citation = "Pathak et al., CVPR 2016")]
public sealed class InpaintingMethod(InpaintingOptions options) : MethodBase, ISampleGrids
{
    private MirroredDecoder? decoder;
    private LinearHeadEncoder? discriminator;

    public override MethodNeeds Needs
    {
        get
        {
            var groups = new Dictionary<string, OptimizerDefaults> { ["all"] = new(OptimizerKind.Adam, options.Lr) };
            if (options.AdversarialWeight > 0) groups["discriminator"] = new(OptimizerKind.Adam, 2e-4) { Beta1 = 0.5 };
            return new() { OptimizerGroups = groups };
        }
    }

    protected override void Build()
    {
        decoder = Add("decoder", new MirroredDecoder(Encoder.Features, Setup.Input));
        Optimize("all", Encoder, decoder);
        if (options.AdversarialWeight > 0)
        {
            discriminator = Add("discriminator", new LinearHeadEncoder(Setup.Encoders.Build(), 1));
            Optimize("discriminator", discriminator);
        }
    }

    /// <summary>The hole of each image of a [N, C, H, W] batch: a float mask [N, 1, H, W], 1 inside the hole; random places come from the global generator.</summary>
    public Tensor Hole(Tensor x)
    {
        var (n, h, w) = (x.size(0), x.size(2), x.size(3));
        long side = Math.Max(1, (long)Math.Round(options.HoleFraction * Math.Min(h, w)));
        using var scope = torch.NewDisposeScope();
        var rows = torch.arange(h, dtype: ScalarType.Int64, device: x.device).view(1, 1, h, 1);
        var cols = torch.arange(w, dtype: ScalarType.Int64, device: x.device).view(1, 1, 1, w);
        Tensor top, left;
        if (options.Region == HoleRegion.Center)
        {
            top = torch.full([n, 1, 1, 1], (h - side) / 2, ScalarType.Int64, x.device);
            left = torch.full([n, 1, 1, 1], (w - side) / 2, ScalarType.Int64, x.device);
        }
        else
        {
            top = SampleDraws.RandInt(0, h - side + 1, [n, 1, 1, 1], x.device);
            left = SampleDraws.RandInt(0, w - side + 1, [n, 1, 1, 1], x.device);
        }
        var inside = rows.ge(top).logical_and(rows.lt(top + side)).logical_and(cols.ge(left)).logical_and(cols.lt(left + side));
        return inside.to(x.dtype).MoveToOuterScope();
    }

    /// <summary>The mean squared error over the hole only: the sum of (reconstruction - image)^2 inside it over the number of values inside it.</summary>
    public static Tensor HoleLoss(Tensor reconstruction, Tensor image, Tensor hole)
    {
        var mask = hole.expand_as(image);
        return ((reconstruction - image).square() * mask).sum() / mask.sum().clamp_min(1);
    }

    /// <summary>The encoder's input: <paramref name="x"/> with its hole filled.</summary>
    public Tensor Masked(Tensor x, Tensor hole) => x * (1 - hole) + hole * options.Fill;

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var x = batch.Views.Count > 0 ? batch.Views[0] : batch.Original;
        var hole = Hole(x);
        var recon = decoder!.forward(Encoder.forward(Masked(x, hole))).sigmoid();
        var l2 = HoleLoss(recon, x, hole);
        context.LogLoss("loss/hole-l2", l2);
        if (discriminator is null)
        {
            Minimize(Optimizers["all"], l2);
            return;
        }
        // The completed image: the input outside the hole, the decoder's painting inside.
        var completed = x * (1 - hole) + recon * hole;
        using (var ones = torch.ones([x.size(0), 1], device: x.device))
        using (var zeros = torch.zeros([x.size(0), 1], device: x.device))
        {
            var dLoss = F.binary_cross_entropy_with_logits(discriminator.forward(x), ones)
                + F.binary_cross_entropy_with_logits(discriminator.forward(completed.detach()), zeros);
            Minimize(Optimizers["discriminator"], dLoss);
            context.LogLoss("loss/discriminator", dLoss);
            var adversarial = F.binary_cross_entropy_with_logits(discriminator.forward(completed), ones);
            context.LogLoss("loss/adversarial", adversarial);
            var w = options.AdversarialWeight;
            Minimize(Optimizers["all"], (1 - w) * l2 + w * adversarial);
        }
    }

    public int SampleInputs => 8;

    /// <summary>Images, the encoder's masked inputs, and the completed images.</summary>
    public IReadOnlyList<SampleGrid> Grids(Tensor inputs)
    {
        var hole = Hole(inputs);
        var masked = Masked(inputs, hole);
        var recon = decoder!.forward(Encoder.forward(masked)).sigmoid();
        return [new SampleGrid("inpainted", torch.cat([inputs, masked, inputs * (1 - hole) + recon * hole]), (int)inputs.size(0))];
    }
}
