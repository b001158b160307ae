using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Common;

/// <summary>
/// A two-layer MLP head: linear, optional batch norm, ReLU, linear, optional batch norm. SimCLR's
/// and BYOL's projectors and BYOL's predictor (batch norm after the hidden layer), MoCo v2's head
/// (none). State keys: <c>hidden.</c>, <c>hidden-bn.</c>, <c>output.</c>, <c>output-bn.</c>.
/// </summary>
public sealed class MlpHead : Module
{
    private readonly nn.Linear hidden;
    private readonly nn.BatchNorm1d? hiddenBn;
    private readonly nn.Linear output;
    private readonly nn.BatchNorm1d? outputBn;

    private readonly (long Input, long Hidden, bool HiddenNorm, bool OutputNorm) shape;

    public MlpHead(long input, long hiddenDim, long outputDim, bool hiddenNorm = true, bool outputNorm = false)
    {
        shape = (input, hiddenDim, hiddenNorm, outputNorm);
        if (input <= 0 || hiddenDim <= 0 || outputDim <= 0) throw new ArgumentException($"an MLP head needs positive sizes, got {input} -> {hiddenDim} -> {outputDim}");
        hidden = register_module("hidden", new nn.Linear(input, hiddenDim, bias: !hiddenNorm));
        if (hiddenNorm) hiddenBn = register_module("hidden-bn", new nn.BatchNorm1d(hiddenDim));
        output = register_module("output", new nn.Linear(hiddenDim, outputDim, bias: !outputNorm));
        if (outputNorm) outputBn = register_module("output-bn", new nn.BatchNorm1d(outputDim));
        OutputDim = outputDim;
    }

    /// <summary>The head's output dimension.</summary>
    public long OutputDim { get; }

    /// <summary>
    /// A head of the same shape holding this one's weights and statistics; with <paramref name="frozen"/>
    /// its parameters need no gradient (a momentum or target network, updated by <see cref="RepLab.Abstractions.EncoderCopies.UpdateEma"/>).
    /// </summary>
    public MlpHead Copy(bool frozen)
    {
        var copy = new MlpHead(shape.Input, shape.Hidden, OutputDim, shape.HiddenNorm, shape.OutputNorm);
        RepLab.Abstractions.EncoderCopies.CopyInto(copy, this);
        if (frozen) copy.requires_grad_(false);
        return copy;
    }

    /// <summary>
    /// A target network's output, <paramref name="head"/> on <paramref name="encoder"/>, without gradient and with
    /// both in training mode (batch statistics, as MoCo's key encoder and BYOL's target use them).
    /// </summary>
    public static Tensor TargetForward(Module encoder, Module head, Tensor x)
    {
        using var ng = torch.no_grad();
        encoder.train();
        head.train();
        return head.forward(encoder.forward(x));
    }

    public override Tensor forward(Tensor input)
    {
        using var h = hidden.forward(input);
        using var a = hiddenBn is null ? h.relu() : hiddenBn.forward(h, NormActivation.ReLU);
        var z = output.forward(a);
        return outputBn is null ? z : outputBn.forward(z);
    }
}

/// <summary>Classifier heads of the pretext tasks.</summary>
public static class Heads
{
    /// <summary>
    /// A classifier from <paramref name="input"/> features to <paramref name="classes"/> logits: linear when
    /// <paramref name="hidden"/> is 0, else linear, batch norm, ReLU, dropout and linear.
    /// </summary>
    public static nn.Sequential Classifier(long input, long hidden, long classes, double dropout = 0)
    {
        var layers = new List<Module>();
        if (hidden > 0)
        {
            layers.AddRange([new nn.Linear(input, hidden), new nn.BatchNorm1d(hidden), new nn.ReLU()]);
            input = hidden;
        }
        if (dropout > 0) layers.Add(new nn.Dropout(dropout));
        layers.Add(new nn.Linear(input, classes));
        return new nn.Sequential([.. layers]);
    }
}

/// <summary>The losses of the contrastive and self-distillation methods, on embeddings [N, D].</summary>
public static class ContrastiveLosses
{
    /// <summary>
    /// NT-Xent (SimCLR, Chen et al., 2020, eq. 1): the 2N embeddings of two views are L2-normalised;
    /// each one's positive is the other view of its image and the other 2N - 2 are its negatives;
    /// the cross-entropy of cosine similarities over <paramref name="temperature"/>, averaged over all 2N.
    /// </summary>
    public static Tensor NtXent(Tensor z1, Tensor z2, double temperature)
    {
        if (!z1.shape.SequenceEqual(z2.shape) || z1.dim() != 2) throw new ArgumentException($"NT-Xent needs two [N, D] embeddings of one shape, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
        var n = z1.size(0);
        var z = F.normalize(torch.cat([z1, z2]), dim: 1);
        using var self = torch.eye(2 * n, dtype: ScalarType.Bool, device: z.device);
        var logits = z.mm(z.T).div(temperature).masked_fill(self, -1e9);
        using var first = torch.arange(n, 2 * n, dtype: ScalarType.Int64, device: z.device);
        using var second = torch.arange(0, n, dtype: ScalarType.Int64, device: z.device);
        using var targets = torch.cat([first, second]);
        return F.cross_entropy(logits, targets);
    }

    /// <summary>
    /// InfoNCE with a queue of negatives (MoCo, He et al., 2020, eq. 1): for normalised queries
    /// <paramref name="q"/> and keys <paramref name="k"/> [N, D] and the queue [K, D], the logits are
    /// [q . k, q . queue] / T and the positive is class 0.
    /// </summary>
    public static Tensor InfoNce(Tensor q, Tensor k, Tensor queue, double temperature)
    {
        var positive = (q * k).sum(1, keepdim: true);
        var negative = q.mm(queue.T);
        var logits = torch.cat([positive, negative], 1).div(temperature);
        using var targets = torch.zeros([q.size(0)], ScalarType.Int64, q.device);
        return F.cross_entropy(logits, targets);
    }

    /// <summary>BYOL's regression loss (Grill et al., 2020, eq. 2): 2 - 2 cos(p, z) averaged over the batch, z without gradient.</summary>
    public static Tensor NormalizedMse(Tensor p, Tensor z) =>
        (2 - 2 * F.cosine_similarity(p, z.detach(), dim: 1)).mean();
}

/// <summary>The optimizer settings the papers of this family share.</summary>
public static class PaperOptimizers
{
    /// <summary>
    /// LARS with linear lr scaling by batch / 256, linear warm-up then cosine decay, and no weight decay or
    /// adaptation for biases and norm parameters: SimCLR's (Chen et al., 2020, B.1) and BYOL's (Grill et al., 2020, J.1).
    /// </summary>
    public static OptimizerDefaults LarsWarmupCosine(double lr, double weightDecay, double warmupEpochs) => new(OptimizerKind.Lars, lr)
    {
        WeightDecay = weightDecay,
        Scaling = LrScaling.Linear,
        Schedule = ScheduleKind.WarmupCosine,
        WarmupEpochs = warmupEpochs,
        ExcludeBiasAndNorm = true,
    };

    /// <summary>SGD with momentum 0.9 and cosine decay (the pretext tasks; MoCo v2 with linear scaling).</summary>
    public static OptimizerDefaults SgdCosine(double lr, double weightDecay, LrScaling scaling = LrScaling.None) => new(OptimizerKind.Sgd, lr)
    {
        WeightDecay = weightDecay,
        Momentum = 0.9,
        Scaling = scaling,
        Schedule = ScheduleKind.Cosine,
    };
}

/// <summary>The training step shared by the classification pretext tasks (RotNet, jigsaw).</summary>
public static class PretextTask
{
    /// <summary>
    /// One step of <paramref name="optimizer"/> on the cross-entropy of <paramref name="logits"/> against the
    /// pretext labels; logs <c>loss/NAME-ce</c> and, on recording steps, <c>train/NAME-accuracy</c>.
    /// </summary>
    public static void Train(optim.Optimizer optimizer, Tensor logits, Tensor labels, IRunContext context, string name)
    {
        var loss = F.cross_entropy(logits, labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        context.LogLoss($"loss/{name}-ce", loss);
        if (!context.IsRecordingStep) return;
        using var ng = torch.no_grad();
        context.Log($"train/{name}-accuracy", logits.argmax(1).eq(labels).to(ScalarType.Float64).mean().item());
    }
}
