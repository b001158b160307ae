using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Export;

/// <summary>One operation of a walked forward: its output value and the values it reads. Both back ends (ONNX, PyTorch) render the same steps.</summary>
internal abstract record Step(ExportValue Output, IReadOnlyList<ExportValue> Inputs);

/// <summary>A Conv2d, BatchNorm or Linear layer at state path <paramref name="Path"/>, applied to its input (its tensors are <c>Path.weight</c> etc.).</summary>
internal sealed record LayerStep(ExportValue Output, ExportValue Input, string Path, Module Layer) : Step(Output, [Input]);

/// <summary>The parameter or buffer at state path <paramref name="Path"/>.</summary>
internal sealed record StateStep(ExportValue Output, string Path) : Step(Output, []);

internal sealed record ReluStep(ExportValue Output, ExportValue Input) : Step(Output, [Input]);

internal sealed record LeakyReluStep(ExportValue Output, ExportValue Input, double Slope) : Step(Output, [Input]);

/// <summary>Max or average pooling with square windows (average pooling counts padding in the divisor, as PyTorch's default).</summary>
internal sealed record PoolStep(ExportValue Output, ExportValue Input, bool Max, long Kernel, long Stride, long Padding) : Step(Output, [Input]);

/// <summary>Adaptive max or average pooling of [N, C, H, W] to [N, C, Size, Size] with PyTorch's windows.</summary>
internal sealed record AdaptivePoolStep(ExportValue Output, ExportValue Input, bool Max, long Size) : Step(Output, [Input]);

/// <summary>Dimensions <paramref name="Start"/>..<paramref name="End"/> (both non-negative, Start at least 1) merged.</summary>
internal sealed record FlattenStep(ExportValue Output, ExportValue Input, long Start, long End) : Step(Output, [Input]);

/// <summary>A dimension of size 1 inserted at <paramref name="Dim"/> (non-negative, at least 1).</summary>
internal sealed record UnsqueezeStep(ExportValue Output, ExportValue Input, long Dim) : Step(Output, [Input]);

/// <summary>The mean over <paramref name="Dims"/> (non-negative, none the batch).</summary>
internal sealed record MeanStep(ExportValue Output, ExportValue Input, IReadOnlyList<long> Dims, bool KeepDim) : Step(Output, [Input]);

/// <summary>An elementwise operation with broadcasting.</summary>
internal sealed record BinaryStep(ExportValue Output, ExportValue A, ExportValue B, BinaryOp Op) : Step(Output, [A, B]);

internal enum BinaryOp { Add, Sub, Div }

/// <summary>Values joined along <paramref name="Dim"/> (non-negative, at least 1).</summary>
internal sealed record ConcatStep(ExportValue Output, IReadOnlyList<ExportValue> Values, long Dim) : Step(Output, Values);

/// <summary>
/// The walked eval-mode forward of an exported module: its input (<c>images</c>), output and the steps
/// between them in execution order (only those the output depends on), the module tree's state paths,
/// and its state dict (aliases this trace owns and frees).
/// </summary>
internal sealed class ExportTrace(Module root, ImageShape inputShape, ExportValue input, ExportValue output, IReadOnlyList<Step> steps,
    IReadOnlyDictionary<Module, string> paths, Dictionary<string, Tensor> state) : IDisposable
{
    /// <summary>The exported module.</summary>
    public Module Root { get; } = root;

    /// <summary>The image shape the graph is built for (the batch size is free).</summary>
    public ImageShape InputShape { get; } = inputShape;

    /// <summary>The graph input, [batch, C, H, W].</summary>
    public ExportValue Input { get; } = input;

    /// <summary>The features, [batch, F].</summary>
    public ExportValue Output { get; } = output;

    /// <summary>Every step the output depends on, each after the steps it reads.</summary>
    public IReadOnlyList<Step> Steps { get; } = steps;

    /// <summary>The state path of every module of the tree ("" for the root), by reference.</summary>
    public IReadOnlyDictionary<Module, string> Paths { get; } = paths;

    /// <summary>The root's state dict: every parameter and persistent buffer by its PyTorch key.</summary>
    public IReadOnlyDictionary<string, Tensor> State => state;

    /// <summary>Frees the state dict's aliases.</summary>
    public void Dispose()
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
    }
}
