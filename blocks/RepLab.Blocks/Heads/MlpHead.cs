using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// A two-layer MLP head: linear, optional batch norm, ReLU, linear, optional batch norm. SimCLR's
/// projector (Chen et al., ICML 2020, section 2.1: 2048 hidden, 128 out, batch norm after the hidden
/// layer), BYOL's projector and predictor (Grill et al., NeurIPS 2020, section 3.3: 4096 hidden, 256 out,
/// batch norm after the hidden layer) and MoCo v2's head (Chen et al., arXiv:2003.04297, 2020: 2048
/// hidden, 128 out, no batch norm). A linear layer followed by batch norm has no bias.
/// State keys: <c>hidden.</c>, <c>hidden-bn.</c>, <c>output.</c>, <c>output-bn.</c>.
/// </summary>
public sealed class MlpHead : Module
{
    private readonly nn.Linear hidden;
    private readonly nn.BatchNorm1d? hiddenBn;
    private readonly nn.Linear output;
    private readonly nn.BatchNorm1d? outputBn;

    private readonly (long Input, long Hidden, bool HiddenNorm, bool OutputNorm) shape;

    /// <summary>A head from <paramref name="input"/> to <paramref name="outputDim"/> dimensions, initialised from the global generator.</summary>
    /// <param name="input">Its input dimension (the encoder's features, or the projector's output for a predictor).</param>
    /// <param name="hiddenDim">Width of the hidden layer (SimCLR's and MoCo v2's 2048, BYOL's 4096).</param>
    /// <param name="outputDim">Output dimension (SimCLR's and MoCo v2's 128, BYOL's 256).</param>
    /// <param name="hiddenNorm">Batch norm after the hidden layer (SimCLR, BYOL: true; MoCo v2: false).</param>
    /// <param name="outputNorm">Batch norm after the output layer (none of the three papers; SimCLR v2's last layer).</param>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
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
    /// its parameters need no gradient: MoCo's key head or BYOL's target projector, updated by
    /// <see cref="MomentumTarget.Update"/>. The copy stays in training mode (the papers' targets use batch statistics).
    /// </summary>
    public MlpHead Copy(bool frozen)
    {
        var copy = new MlpHead(shape.Input, shape.Hidden, OutputDim, shape.HiddenNorm, shape.OutputNorm);
        EncoderCopies.CopyInto(copy, this);
        if (frozen) copy.requires_grad_(false);
        return copy;
    }

    /// <summary>The head on <paramref name="input"/> [N, input]: [N, output].</summary>
    public override Tensor forward(Tensor input)
    {
        using var h = hidden.forward(input);
        using var a = hiddenBn is null ? h.relu() : hiddenBn.forward(h, NormActivation.ReLU);
        var z = output.forward(a);
        return outputBn is null ? z : outputBn.forward(z);
    }
}
