using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// A tensor of an export graph: the name the exporter gave it and its static shape. Dimension 0
/// is the batch, whose size is not fixed (<see cref="Batch"/>); the others are known at export
/// time, so code that builds a graph can read them (a pooling window, a flattened size).
/// </summary>
/// <param name="Name">The value's name in the graph (unique).</param>
/// <param name="Shape">Its sizes, <see cref="Batch"/> for the batch dimension.</param>
public sealed record ExportValue(string Name, IReadOnlyList<long> Shape)
{
    /// <summary>The size recorded for the batch dimension: any batch size.</summary>
    public const long Batch = -1;

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Count;
}

/// <summary>
/// What an exporter offers the modules it walks: the inference-time (eval-mode) forward pass
/// written as operations on <see cref="ExportValue"/>s, named as in PyTorch. One walk feeds every
/// back end (an ONNX graph, PyTorch forward code), so a module describes its forward once.
/// </summary>
public interface IExportGraph
{
    /// <summary>
    /// The forward of <paramref name="module"/> on <paramref name="input"/>: the engine's layers (Conv2d,
    /// BatchNorm1d/2d in eval mode, Linear, ReLU, LeakyReLU, Flatten, Identity, Sequential, MaxPool2d,
    /// AvgPool2d, AdaptiveMaxPool2d, AdaptiveAvgPool2d) are known to the exporter; a module implementing
    /// <see cref="IExportable"/> describes itself. Any other module stops the export with a message naming
    /// its state path and type. A module holding state must be registered in the exported module's tree.
    /// </summary>
    ExportValue Module(Module module, ExportValue input);

    /// <summary>A parameter or persistent buffer <paramref name="name"/> registered on <paramref name="owner"/> (e.g. a normalisation's <c>input_mean</c>), as a value.</summary>
    ExportValue State(Module owner, string name);

    /// <summary><c>a + b</c> with broadcasting.</summary>
    ExportValue Add(ExportValue a, ExportValue b);

    /// <summary><c>a - b</c> with broadcasting.</summary>
    ExportValue Sub(ExportValue a, ExportValue b);

    /// <summary><c>a / b</c> with broadcasting.</summary>
    ExportValue Div(ExportValue a, ExportValue b);

    /// <summary><c>F.relu(x)</c>.</summary>
    ExportValue Relu(ExportValue x);

    /// <summary><c>F.leaky_relu(x, negative_slope)</c>.</summary>
    ExportValue LeakyRelu(ExportValue x, double negativeSlope);

    /// <summary><c>x.mean(dims, keepdim)</c>; <paramref name="dims"/> exclude the batch dimension.</summary>
    ExportValue Mean(ExportValue x, IReadOnlyList<long> dims, bool keepdim = false);

    /// <summary><c>F.adaptive_max_pool2d(x, size)</c> on [N, C, H, W]: [N, C, size, size], PyTorch's windows.</summary>
    ExportValue AdaptiveMaxPool(ExportValue x, long size);

    /// <summary><c>x.flatten(startDim, endDim)</c>; <paramref name="startDim"/> is at least 1 (the batch is never merged).</summary>
    ExportValue Flatten(ExportValue x, long startDim = 1, long endDim = -1);

    /// <summary><c>x.unsqueeze(dim)</c>; <paramref name="dim"/> is at least 1 (negative counts from the end of the result).</summary>
    ExportValue Unsqueeze(ExportValue x, long dim);

    /// <summary><c>torch.cat(values, dim)</c>; <paramref name="dim"/> is at least 1.</summary>
    ExportValue Concat(IReadOnlyList<ExportValue> values, long dim);
}

/// <summary>
/// A module that can describe its own eval-mode forward to an exporter (ONNX, PyTorch), in terms of
/// its children and <see cref="IExportGraph"/>'s operations. A custom layer or encoder implements it
/// to be exportable; the engine's common layers need nothing.
/// </summary>
/// <example>
/// A residual block whose forward is <c>relu(bn(conv(x)) + x)</c>:
/// <code>
/// public ExportValue Export(IExportGraph g, ExportValue x) =&gt; g.Relu(g.Add(g.Module(bn, g.Module(conv, x)), x));
/// </code>
/// </example>
public interface IExportable
{
    /// <summary>This module's eval-mode forward on <paramref name="input"/>, built from <paramref name="graph"/>'s operations; returns the output.</summary>
    ExportValue Export(IExportGraph graph, ExportValue input);
}
