using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Simclr;

/// <summary>Options of the <c>simclr</c> method (defaults: the paper's, section B.1 and appendix B.9 for CIFAR-10).</summary>
public sealed record SimclrOptions : PluginOptions
{
    /// <summary>Width of the projection head's hidden layer (the paper's 2048).</summary>
    [Range(1, 65536)]
    public int HiddenDim { get; init; } = 2048;

    /// <summary>Dimension of the projection z the loss compares (the paper's 128).</summary>
    [Range(1, 65536)]
    public int OutputDim { get; init; } = 128;

    /// <summary>Batch norm after the head's hidden layer (the paper's implementation has it).</summary>
    public bool HeadBn { get; init; } = true;

    /// <summary>NT-Xent temperature (0.5, the paper's choice for CIFAR-10, appendix B.9).</summary>
    [Range(1e-3, 100.0)]
    public double Temperature { get; init; } = 0.5;

    /// <summary>LARS base lr, scaled by batch size / 256 (the paper's 0.3 x B / 256).</summary>
    [Range(1e-8, 100.0)]
    public double Lr { get; init; } = 0.3;

    /// <summary>Weight decay (the paper's 1e-6), not applied to biases and batch-norm parameters.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1e-6;

    /// <summary>Linear warm-up epochs before the cosine decay (the paper's 10).</summary>
    [Range(0.0, 10_000.0)]
    public double WarmupEpochs { get; init; } = 10;
}

/// <summary>
/// SimCLR (Chen, Kornblith, Norouzi &amp; Hinton, "A Simple Framework for Contrastive Learning of
/// Visual Representations", ICML 2020): two augmented views of each image go through the encoder
/// and an MLP projection head; NT-Xent pulls the two projections of an image together and pushes
/// the other 2N - 2 apart. Both views pass the encoder as one batch of 2N, so batch norm sees all of
/// them, as with the paper's global batch norm. With several processes the projections of every rank
/// are gathered, so the negatives are the global batch's (with <c>sync-batch-norm</c>, exactly one
/// process's loss). The representation is the encoder's output (before
/// the head). Optimizer: LARS with warm-up and cosine decay, lr scaled linearly with the batch.
/// </summary>
[Plugin("simclr", Summary = "contrastive learning with NT-Xent over two views and a projection head", Citation = "Chen et al., ICML 2020")]
public sealed class SimclrMethod(SimclrOptions options) : MethodBase
{
    private MlpHead? projector;

    public override MethodNeeds Needs => OneGroup(OptimizerPresets.LarsWarmupCosine(options.Lr, options.WeightDecay, options.WarmupEpochs), views: 2);

    protected override void Build()
    {
        projector = Add("projector", new MlpHead(Encoder.Features, options.HiddenDim, options.OutputDim, options.HeadBn));
        Optimize("all", Encoder, projector);
    }

    /// <summary>The projections of both views, [N, D] each, from one pass over the 2N images.</summary>
    public (Tensor Z1, Tensor Z2) Project(Tensor view1, Tensor view2)
    {
        var z = projector!.forward(Encoder.forward(torch.cat([view1, view2])));
        var halves = z.chunk(2);
        return (halves[0], halves[1]);
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var (z1, z2) = Project(batch.Views[0], batch.Views[1]);
        // Negatives from every rank: the loss is over the global batch, as one process would compute it.
        var loss = NtXentLoss.Compute(context.World.AllGather(z1), context.World.AllGather(z2), options.Temperature);
        Minimize(Optimizers["all"], loss);
        context.LogLoss("loss/nt-xent", loss);
    }
}
