using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.MocoV2;

/// <summary>Options of the <c>moco-v2</c> method (defaults: the MoCo v2 note's ImageNet settings).</summary>
public sealed record MocoV2Options : PluginOptions
{
    /// <summary>Negatives kept in the queue (the paper's 65,536).</summary>
    [Range(1, 1 << 24)]
    public int QueueSize { get; init; } = 65536;

    /// <summary>Momentum m of the key encoder's update k = m k + (1 - m) q (0.999; 0.99 suits short runs).</summary>
    [Range(0.0, 1.0)]
    public double Momentum { get; init; } = 0.999;

    /// <summary>InfoNCE temperature (MoCo v2's 0.2).</summary>
    [Range(1e-3, 100.0)]
    public double Temperature { get; init; } = 0.2;

    /// <summary>Hidden width of the MLP head (MoCo v2's 2048).</summary>
    [Range(1, 65536)]
    public int HiddenDim { get; init; } = 2048;

    /// <summary>Dimension of the embeddings in the queue (128).</summary>
    [Range(1, 65536)]
    public int OutputDim { get; init; } = 128;

    /// <summary>Also contrast the second view's query with the first view's key (symmetric loss, as solo-learn); the paper's loss is one-sided.</summary>
    public bool Symmetric { get; init; }

    /// <summary>SGD base lr, scaled by batch size / 256 (the paper's 0.03 at 256).</summary>
    [Range(1e-8, 100.0)]
    public double Lr { get; init; } = 0.03;

    /// <summary>Weight decay (1e-4).</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1e-4;
}

/// <summary>
/// The queue of negative keys and its write position, a module so that both are checkpointed
/// (state keys <c>keys</c> [K, D] and <c>pointer</c> [1]).
/// </summary>
public sealed class KeyQueue : Module
{
    private readonly Tensor keys;
    private readonly Tensor pointer;

    /// <summary>A queue of <paramref name="size"/> random unit vectors of <paramref name="dim"/> dimensions, drawn from the global generator.</summary>
    public KeyQueue(long size, long dim)
    {
        keys = register_buffer("keys", F.normalize(torch.randn([size, dim]), dim: 1));
        pointer = register_buffer("pointer", torch.zeros([1], ScalarType.Int64));
    }

    /// <summary>The keys [K, D].</summary>
    public Tensor Keys => keys;

    /// <summary>Where the next key is written.</summary>
    public long Pointer => pointer.item<long>();

    /// <summary>Writes <paramref name="batch"/> [N, D] at the pointer, wrapping around the end (the oldest keys are replaced first), and advances the pointer by N.</summary>
    public void Enqueue(Tensor batch)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var size = keys.size(0);
        var n = Math.Min(batch.size(0), size);
        var start = Pointer;
        var rows = torch.tensor(Enumerable.Range(0, (int)n).Select(i => (start + i) % size).ToArray(), n).to(keys.device);
        keys.index_put_([rows], batch.slice(0, batch.size(0) - n, batch.size(0)).detach());
        pointer.fill_((start + n) % size);
    }
}

/// <summary>
/// MoCo v2 (Chen, Fan, Girshick &amp; He, "Improved Baselines with Momentum Contrastive Learning",
/// 2020, on He et al., CVPR 2020): a query encoder with an MLP head is trained with InfoNCE against
/// the key of the other view, computed by a momentum copy of encoder and head, and against a queue
/// of earlier keys. The queue and its pointer are checkpointed. The key network runs in training
/// mode without gradient. In one process there is no shuffled batch norm (each view is normalised
/// over its own batch); with several (<c>trainer.distributed</c>) the key network sees a seeded
/// shuffle of the global batch split across ranks (the paper's ShuffleBN, so batch norm cannot leak
/// which key belongs to which query), and the queue takes every rank's keys. The representation is
/// the query encoder's output.
/// </summary>
[Plugin("moco-v2", Summary = "momentum contrast: a momentum key encoder and a queue of negatives", Citation = "Chen et al., arXiv:2003.04297, 2020")]
public sealed class MocoV2Method(MocoV2Options options) : MethodBase
{
    private MlpHead? head;
    private EncoderModule? keyEncoder;
    private MlpHead? keyHead;
    private KeyQueue? queue;

    public override MethodNeeds Needs => OneGroup(OptimizerPresets.SgdCosine(options.Lr, options.WeightDecay, LrScaling.Linear), views: 2);

    /// <summary>The queue of negatives.</summary>
    public KeyQueue Queue => queue!;

    protected override void Build()
    {
        head = Add("head", new MlpHead(Encoder.Features, options.HiddenDim, options.OutputDim, hiddenNorm: false));
        keyEncoder = Add("key-encoder", Setup.Encoders.Copy(Encoder, frozen: true));
        keyHead = Add("key-head", head.Copy(frozen: true));
        queue = Add("queue", new KeyQueue(options.QueueSize, options.OutputDim));
        Optimize("all", Encoder, head);
    }

    private Tensor Query(Tensor x) => F.normalize(head!.forward(Encoder.forward(x)), dim: 1);

    private Tensor Key(Tensor x) => F.normalize(MomentumTarget.Forward(keyEncoder!, keyHead!, x), dim: 1);

    /// <summary>
    /// The keys of this rank's <paramref name="x"/>. With several ranks: the global batch is gathered,
    /// shuffled by a permutation seeded by the run seed, step and view (the same on every rank), each rank
    /// encodes its share of the shuffled batch, and the keys are gathered and put back in order.
    /// </summary>
    private Tensor Key(Tensor x, IRunContext context, int view)
    {
        var world = context.World;
        if (world.Size == 1) return Key(x);
        using var ng = torch.no_grad();
        var all = world.AllGather(x);
        var (b, rank) = (x.size(0), world.Rank);
        using var g = new Generator(unchecked(context.Seed * 0x9E3779B97F4A7C15UL + (ulong)context.GlobalStep * 2 + (ulong)view));
        var order = torch.randperm(all.size(0), generator: g);
        var inverse = new long[order.size(0)];
        var shuffled = order.data<long>();
        for (var j = 0; j < shuffled.Length; j++) inverse[shuffled[j]] = j;
        var keys = world.AllGather(Key(all.index_select(0, order.slice(0, rank * b, (rank + 1) * b).to(x.device))));
        return keys.index_select(0, torch.tensor(inverse, inverse.Length).slice(0, rank * b, (rank + 1) * b).to(x.device));
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        // The key network follows the query network before its keys are computed, as the official code does.
        MomentumTarget.Update(keyEncoder!, Encoder, options.Momentum);
        MomentumTarget.Update(keyHead!, head!, options.Momentum);
        var k2 = Key(batch.Views[1], context, 1);
        var loss = InfoNceLoss.Compute(Query(batch.Views[0]), k2, queue!.Keys, options.Temperature);
        Tensor? k1 = null;
        if (options.Symmetric)
        {
            k1 = Key(batch.Views[0], context, 0);
            loss = (loss + InfoNceLoss.Compute(Query(batch.Views[1]), k1, queue.Keys, options.Temperature)) / 2;
        }
        Minimize(Optimizers["all"], loss);
        // Every rank's keys, in the global batch's order: the queues of all ranks stay the same.
        if (k1 is not null) queue.Enqueue(context.World.AllGather(k1));
        queue.Enqueue(context.World.AllGather(k2));
        context.LogLoss("loss/info-nce", loss);
    }
}
