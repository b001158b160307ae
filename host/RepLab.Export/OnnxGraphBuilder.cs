using System.Runtime.InteropServices;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Export;

/// <summary>
/// Lowers a walked forward (<see cref="ExportTrace"/>) to ONNX operators of opset 17: every value gets one
/// producer (SSA), state tensors become initializers named by their state keys, and the output is named
/// <c>features</c>. Adaptive pooling whose windows do not tile the map (14, 7 or 3 to 4) is lowered exactly:
/// PyTorch's window i along a side of n is [⌊i·n/g⌋, ⌈(i+1)·n/g⌉), and max and mean over such a rectangle
/// are separable, so each axis is sliced window by window, reduced and concatenated.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly ExportTrace trace;
    private readonly List<OnnxNode> nodes = [];
    private readonly List<OnnxTensor> initializers = [];
    private readonly HashSet<string> initialized = [];
    private readonly Dictionary<string, string> renamed = [];

    private OnnxGraphBuilder(ExportTrace trace) => this.trace = trace;

    /// <summary>The graph of <paramref name="trace"/>: input <c>images</c> [batch, C, H, W], output <c>features</c> [batch, F].</summary>
    public static OnnxGraph Build(ExportTrace trace, string name)
    {
        var b = new OnnxGraphBuilder(trace);
        var produced = trace.Steps.Any(s => s is not StateStep && s.Output == trace.Output);
        if (produced) b.renamed[trace.Output.Name] = "features";
        foreach (var step in trace.Steps) b.Lower(step);
        if (!produced) b.Node("Identity", "features", [b.Name(trace.Output)], "features");
        return new OnnxGraph(name, b.nodes, b.initializers, [new OnnxValueInfo(trace.Input.Name, trace.Input.Shape)],
            [new OnnxValueInfo("features", trace.Output.Shape)]);
    }

    private string Name(ExportValue v) => renamed.TryGetValue(v.Name, out var n) ? n : v.Name;

    private void Node(string op, string name, IReadOnlyList<string> inputs, string output, params OnnxAttribute[] attributes) =>
        nodes.Add(new OnnxNode(op, name, inputs, [output], attributes));

    private void Lower(Step step)
    {
        string Out() => Name(step.Output);
        string In(int i) => Name(step.Inputs[i]);
        switch (step)
        {
            case LayerStep { Layer: nn.Conv2d c } s: Conv(s, c); break;
            case LayerStep { Layer: nn.BatchNorm b } s: BatchNorm(s, b); break;
            case LayerStep { Layer: nn.Linear l } s:
                Node("Gemm", s.Path, l.bias is null ? [In(0), State($"{s.Path}.weight")] : [In(0), State($"{s.Path}.weight"), State($"{s.Path}.bias")],
                    Out(), new IntAttribute("transB", 1));
                break;
            case StateStep s: State(s.Path); break;
            case ReluStep: Node("Relu", Out(), [In(0)], Out()); break;
            case LeakyReluStep s: Node("LeakyRelu", Out(), [In(0)], Out(), new FloatAttribute("alpha", (float)s.Slope)); break;
            case PoolStep s: Pool(s); break;
            case AdaptivePoolStep s: AdaptivePool(s); break;
            case FlattenStep s when s.Start == 1 && s.End == s.Input.Rank - 1:
                Node("Flatten", Out(), [In(0)], Out(), new IntAttribute("axis", 1));
                break;
            case FlattenStep s:
                // Reshape's 0 keeps the input's size: the batch stays free.
                Node("Reshape", Out(), [In(0), Constant([0, .. s.Output.Shape.Skip(1)])], Out());
                break;
            case UnsqueezeStep s: Node("Unsqueeze", Out(), [In(0), Constant([s.Dim])], Out()); break;
            case MeanStep s: Node("ReduceMean", Out(), [In(0)], Out(), new IntsAttribute("axes", s.Dims), new IntAttribute("keepdims", s.KeepDim ? 1 : 0)); break;
            case BinaryStep s: Node(s.Op.ToString(), Out(), [In(0), In(1)], Out()); break;
            case ConcatStep s: Node("Concat", Out(), s.Values.Select(Name).ToList(), Out(), new IntAttribute("axis", s.Dim)); break;
            default: throw new InvalidOperationException($"export: no ONNX lowering for {step.GetType().Name}");
        }
    }

    private void Conv(LayerStep s, nn.Conv2d c)
    {
        var inputs = new List<string> { Name(s.Input), State($"{s.Path}.weight") };
        if (c.bias is not null) inputs.Add(State($"{s.Path}.bias"));
        Node("Conv", s.Path, inputs, Name(s.Output),
            new IntsAttribute("kernel_shape", c.kernel_size), new IntsAttribute("strides", c.stride),
            new IntsAttribute("pads", [.. c.padding, .. c.padding]), new IntsAttribute("dilations", c.dilation),
            new IntAttribute("group", c.groups));
    }

    private void BatchNorm(LayerStep s, nn.BatchNorm b)
    {
        var channels = b.running_mean!.size(0);
        // Without an affine transform the scale is 1 and the shift 0, as PyTorch computes it.
        var scale = b.weight is null ? FloatConstant($"{s.Path}/scale", channels, 1f) : State($"{s.Path}.weight");
        var shift = b.bias is null ? FloatConstant($"{s.Path}/shift", channels, 0f) : State($"{s.Path}.bias");
        Node("BatchNormalization", s.Path, [Name(s.Input), scale, shift, State($"{s.Path}.running_mean"), State($"{s.Path}.running_var")],
            Name(s.Output), new FloatAttribute("epsilon", (float)b.eps));
    }

    private void Pool(PoolStep s)
    {
        var attributes = new List<OnnxAttribute>
        {
            new IntsAttribute("kernel_shape", [s.Kernel, s.Kernel]), new IntsAttribute("strides", [s.Stride, s.Stride]),
            new IntsAttribute("pads", [s.Padding, s.Padding, s.Padding, s.Padding]),
        };
        if (!s.Max) attributes.Add(new IntAttribute("count_include_pad", 1));  // PyTorch's default divisor counts the padding
        Node(s.Max ? "MaxPool" : "AveragePool", Name(s.Output), [Name(s.Input)], Name(s.Output), [.. attributes]);
    }

    private void AdaptivePool(AdaptivePoolStep s)
    {
        var (h, w, g, output) = (s.Input.Shape[2], s.Input.Shape[3], s.Size, Name(s.Output));
        if (h % g == 0 && w % g == 0)
        {
            // The windows tile the map: one pooling with kernel = stride = side / g.
            Node(s.Max ? "MaxPool" : "AveragePool", output, [Name(s.Input)], output,
                new IntsAttribute("kernel_shape", [h / g, w / g]), new IntsAttribute("strides", [h / g, w / g]));
            return;
        }
        var rows = Windows(Name(s.Input), 2, h, g, s.Max, $"{output}/rows");
        if (Windows(rows, 3, w, g, s.Max, output) != output) Node("Identity", output, [rows], output);
    }

    /// <summary>
    /// Axis <paramref name="axis"/> (of size <paramref name="n"/>) of <paramref name="input"/> pooled to <paramref name="g"/>
    /// with PyTorch's adaptive windows: each window sliced, reduced (keeping the axis) and the results concatenated.
    /// Returns the result's name: <paramref name="result"/>, or the input itself when the windows are single elements.
    /// </summary>
    private string Windows(string input, long axis, long n, long g, bool max, string result)
    {
        if (n == g) return input;
        var parts = new List<string>();
        for (long i = 0; i < g; i++)
        {
            var (start, end) = (i * n / g, ((i + 1) * n + g - 1) / g);
            var window = input;
            if (start > 0 || end < n)
            {
                window = $"{result}/slice_{i}";
                Node("Slice", window, [input, Constant([start]), Constant([end]), Constant([axis])], window);
            }
            var part = g == 1 ? result : $"{result}/{(max ? "max" : "mean")}_{i}";
            Node(max ? "ReduceMax" : "ReduceMean", part, [window], part, new IntsAttribute("axes", [axis]), new IntAttribute("keepdims", 1));
            parts.Add(part);
        }
        if (g > 1) Node("Concat", result, parts, result, new IntAttribute("axis", axis));
        return result;
    }

    /// <summary>The initializer of state key <paramref name="key"/> (added once); returns its name, the key.</summary>
    private string State(string key)
    {
        if (!initialized.Add(key)) return key;
        var t = trace.State[key];
        var type = t.dtype switch
        {
            ScalarType.Float32 => OnnxModel.Float,
            ScalarType.Int64 => OnnxModel.Int64,
            _ => throw new ExportNotSupportedException(key, t.dtype.ToString(), $"{key} is a {t.dtype} tensor; the ONNX writer writes float32 state (convert the encoder to float32 first)"),
        };
        initializers.Add(new OnnxTensor(key, t.shape, type, t.bytes()));
        return key;
    }

    /// <summary>A 1-D int64 constant (shared by value); returns its name.</summary>
    private string Constant(long[] values)
    {
        var name = $"const/{string.Join('_', values)}";
        if (initialized.Add(name))
            initializers.Add(new OnnxTensor(name, [values.Length], OnnxModel.Int64, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        return name;
    }

    private string FloatConstant(string name, long count, float value)
    {
        if (initialized.Add(name))
            initializers.Add(new OnnxTensor(name, [count], OnnxModel.Float, MemoryMarshal.AsBytes(Enumerable.Repeat(value, (int)count).ToArray().AsSpan()).ToArray()));
        return name;
    }
}
