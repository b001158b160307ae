using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Export;

/// <summary>
/// Writes <c>encoder.py</c> from a walked forward (<see cref="ExportTrace"/>): a torch-only module whose
/// <c>state_dict()</c> keys are the exported module's (the engine's layers as their torch.nn classes, any
/// other module as a plain container of its parameters, buffers and children), and whose <c>forward</c>
/// is the walk as straight-line code, stateless operations as <c>torch.nn.functional</c> calls.
/// </summary>
internal static partial class PytorchModule
{
    private static readonly HashSet<string> Keywords =
    [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    ];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    /// <summary>The module definition's source text; <paramref name="description"/> opens its docstring.</summary>
    public static string Source(ExportTrace trace, string description)
    {
        var py = new StringBuilder(Preamble(trace, description));
        foreach (var (name, child) in trace.Root.named_children())
            py.Append($"        self.add_module({Str(name)}, {Construct(trace, child, 2)})\n");
        foreach (var (name, t) in OwnState(trace, trace.Root, parameters: true))
            py.Append($"        self.register_parameter({Str(name)}, nn.Parameter(torch.empty({Tuple(t.shape)}, dtype={Dtype(t.dtype)})))\n");
        foreach (var (name, t) in OwnState(trace, trace.Root, parameters: false))
            py.Append($"        self.register_buffer({Str(name)}, torch.empty({Tuple(t.shape)}, dtype={Dtype(t.dtype)}))\n");
        py.Append($"\n    def forward(self, {trace.Input.Name}):\n");
        // State is read where it is used (self.input_mean); every other value is a local named as in the ONNX graph.
        var names = new Dictionary<string, string>();
        string Ref(ExportValue v) => names.TryGetValue(v.Name, out var n) ? n : v.Name;
        foreach (var step in trace.Steps)
        {
            if (step is StateStep s) names[s.Output.Name] = Attribute(trace, s.Path);
            else py.Append($"        {step.Output.Name} = {Expression(trace, step, Ref)}\n");
        }
        py.Append($"        return {Ref(trace.Output)}\n\n\n");
        py.Append("def build():\n    \"\"\"The encoder with uninitialised weights: load encoder.safetensors into it.\"\"\"\n    return Encoder()\n");
        py.Append(Loader);
        return py.ToString();
    }

    /// <summary>
    /// <c>load(path)</c>: the safetensors file as a state dict, read with torch alone (the safetensors library is not
    /// everywhere torch is: Debian packages torch but not it). The format: a little-endian u64 header length, a JSON
    /// header of dtype, shape and byte offsets per tensor, then the tensors' little-endian bytes.
    /// </summary>
    private const string Loader = """"


        _DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                   "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
                   "BOOL": torch.bool}


        def load(path):
            """The tensors of a safetensors file (encoder.safetensors) by name, for load_state_dict."""
            import json
            import struct
            with open(path, "rb") as f:
                data = f.read()
            (length,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + length])
            tensors = {}
            for name, entry in header.items():
                if name == "__metadata__":
                    continue
                begin, end = entry["data_offsets"]
                raw = bytearray(data[8 + length + begin:8 + length + end])
                dtype = _DTYPES[entry["dtype"]]
                flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
                tensors[name] = flat.reshape(entry["shape"])
            return tensors

        """";

    /// <summary>The docstring, imports, constants, the container helper and Encoder's constructor up to its first child.</summary>
    private static string Preamble(ExportTrace trace, string description)
    {
        var (c, h, w) = (trace.InputShape.Channels, trace.InputShape.Height, trace.InputShape.Width);
        var features = trace.Output.Shape[1];
        var text = description.Replace("\\", "\\\\").Replace("\"\"\"", "'''");
        return $$""""
            """{{text}}

            Written by RepLab's exporter; needs only torch. Input: images [N, {{c}}, {{h}}, {{w}}], float32 in [0, 1];
            output: features [N, {{features}}]. Load the weights from encoder.safetensors (its keys are this module's
            state_dict keys) with strict=True, then call eval():

                model = build()
                model.load_state_dict(load("encoder.safetensors"), strict=True)
                model.eval()
                features = model(images)
            """

            import torch
            from torch import nn
            import torch.nn.functional as F

            INPUT_SHAPE = ({{c}}, {{h}}, {{w}})
            FEATURES = {{features}}


            def _container(children=(), parameters=(), buffers=()):
                """A module that holds state under the exported names; Encoder.forward computes with it."""
                m = nn.Module()
                for name, child in children:
                    m.add_module(name, child)
                for name, shape, dtype in parameters:
                    m.register_parameter(name, nn.Parameter(torch.empty(shape, dtype=dtype), requires_grad=dtype.is_floating_point))
                for name, shape, dtype in buffers:
                    m.register_buffer(name, torch.empty(shape, dtype=dtype))
                return m


            class Encoder(nn.Module):
                def __init__(self):
                    super().__init__()

            """";
    }

    /// <summary>The module's own persistent state (not its children's): its parameters, or its buffers in the state dict.</summary>
    private static IEnumerable<(string Name, Tensor Tensor)> OwnState(ExportTrace trace, Module module, bool parameters)
    {
        var prefix = trace.Paths[module] is { Length: > 0 } p ? p + "." : "";
        var own = parameters ? module.named_parameters(recurse: false).Select(x => x.name) : module.named_buffers(recurse: false).Select(x => x.name);
        return own.Where(n => trace.State.ContainsKey(prefix + n)).Select(n => (n, trace.State[prefix + n]));
    }

    /// <summary>The Python expression that builds <paramref name="module"/>, nested at <paramref name="depth"/> levels of indentation.</summary>
    private static string Construct(ExportTrace trace, Module module, int depth) => module switch
    {
        nn.Conv2d c => $"nn.Conv2d({c.weight.size(1) * c.groups}, {c.weight.size(0)}, {Tuple(c.kernel_size)}, stride={Tuple(c.stride)}, "
            + $"padding={Tuple(c.padding)}, dilation={Tuple(c.dilation)}, groups={c.groups}, bias={Bool(c.bias is not null)})",
        nn.BatchNorm b when (b.weight ?? b.running_mean) is { } state => $"nn.{b.GetType().Name}({state.size(0)}, eps={Num(b.eps)}, momentum={Num(b.momentum)}, "
            + $"affine={Bool(b.weight is not null)}, track_running_stats={Bool(b.running_mean is not null)})",
        nn.Linear l => $"nn.Linear({l.weight.size(1)}, {l.weight.size(0)}, bias={Bool(l.bias is not null)})",
        nn.ReLU => "nn.ReLU()",
        nn.LeakyReLU l => $"nn.LeakyReLU({Num(l.negative_slope)})",
        nn.Flatten f => $"nn.Flatten({f.start_dim}, {f.end_dim})",
        nn.Identity => "nn.Identity()",
        nn.MaxPool2d p => $"nn.MaxPool2d({p.kernel_size}, stride={p.stride}, padding={p.padding})",
        nn.AvgPool2d p => $"nn.AvgPool2d({p.kernel_size}, stride={p.stride}, padding={p.padding})",
        nn.AdaptiveMaxPool2d p => $"nn.AdaptiveMaxPool2d({p.output_size})",
        nn.AdaptiveAvgPool2d p => $"nn.AdaptiveAvgPool2d({p.output_size})",
        nn.Sequential s => Nested("nn.Sequential(", s.children().Select(m => Construct(trace, m, depth + 1)), ")", depth),
        _ => Container(trace, module, depth),
    };

    /// <summary>Any other module: its children and its own state (names, shapes, dtypes) so the keys match; its computation is in Encoder.forward.</summary>
    private static string Container(ExportTrace trace, Module module, int depth)
    {
        string Entry((string Name, Tensor Tensor) s) => $"({Str(s.Name)}, {Tuple(s.Tensor.shape)}, {Dtype(s.Tensor.dtype)})";
        var args = new List<string>();
        var children = module.named_children().Select(c => $"({Str(c.name)}, {Construct(trace, c.module, depth + 2)})").ToList();
        if (children.Count > 0) args.Add(Nested("children=[", children, "]", depth + 1));
        var parameters = OwnState(trace, module, parameters: true).Select(Entry).ToList();
        if (parameters.Count > 0) args.Add($"parameters=[{string.Join(", ", parameters)}]");
        var buffers = OwnState(trace, module, parameters: false).Select(Entry).ToList();
        if (buffers.Count > 0) args.Add($"buffers=[{string.Join(", ", buffers)}]");
        var comment = $"  # {module.GetType().FullName}";
        return args.Count == 0 ? "_container()" + comment : Nested("_container(", args, ")", depth, comment);
    }

    /// <summary><paramref name="open"/>, one item a line indented one level deeper than <paramref name="depth"/>, then <paramref name="close"/>.</summary>
    private static string Nested(string open, IEnumerable<string> items, string close, int depth, string comment = "")
    {
        var list = items.ToList();
        if (list.Count == 0) return open + close + comment;
        var indent = new string(' ', 4 * (depth + 1));
        return $"{open}{comment}\n{string.Join(",\n", list.Select(i => indent + i))},\n{new string(' ', 4 * depth)}{close}";
    }

    /// <summary>The right-hand side for one step; <paramref name="name"/> gives each input's Python expression.</summary>
    private static string Expression(ExportTrace trace, Step step, Func<ExportValue, string> name)
    {
        var x = step.Inputs.Count > 0 ? name(step.Inputs[0]) : "";
        return step switch
        {
            LayerStep s => $"{Attribute(trace, s.Path)}({x})",
            ReluStep => $"F.relu({x})",
            LeakyReluStep s => $"F.leaky_relu({x}, {Num(s.Slope)})",
            PoolStep { Max: true } s => $"F.max_pool2d({x}, {s.Kernel}, {s.Stride}, {s.Padding})",
            PoolStep s => $"F.avg_pool2d({x}, {s.Kernel}, {s.Stride}, {s.Padding})",
            AdaptivePoolStep s => $"F.adaptive_{(s.Max ? "max" : "avg")}_pool2d({x}, {s.Size})",
            FlattenStep s => $"torch.flatten({x}, {s.Start}, {s.End})",
            UnsqueezeStep s => $"{x}.unsqueeze({s.Dim})",
            MeanStep s => $"{x}.mean({Tuple(s.Dims)}, keepdim={Bool(s.KeepDim)})",
            BinaryStep s => $"{x} {s.Op switch { BinaryOp.Add => "+", BinaryOp.Sub => "-", _ => "/" }} {name(s.B)}",
            ConcatStep s => $"torch.cat([{string.Join(", ", s.Values.Select(name))}], {s.Dim})",
            _ => throw new InvalidOperationException($"export: no PyTorch form for {step.GetType().Name}"),
        };
    }

    /// <summary>
    /// <c>self.body[0]</c> for state path <c>body.0</c>: attributes where a name is an identifier, indices into
    /// nn.Sequential, <c>getattr</c> otherwise.
    /// </summary>
    private static string Attribute(ExportTrace trace, string path)
    {
        var expression = "self";
        Module? module = trace.Root;
        foreach (var part in path.Split('.'))
        {
            expression = module is nn.Sequential && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? $"{expression}[{i}]"
                : Identifier().IsMatch(part) && !Keywords.Contains(part) ? $"{expression}.{part}"
                : $"getattr({expression}, {Str(part)})";
            module = module?.named_children().FirstOrDefault(c => c.name == part).module;
        }
        return expression;
    }

    private static string Str(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string Bool(bool b) => b ? "True" : "False";

    private static string Num(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Tuple(IReadOnlyList<long> values) => values.Count == 1 ? $"({values[0]},)" : $"({string.Join(", ", values)})";

    private static string Dtype(ScalarType t) => t switch
    {
        ScalarType.Float32 => "torch.float32",
        ScalarType.Float64 => "torch.float64",
        ScalarType.Float16 => "torch.float16",
        ScalarType.BFloat16 => "torch.bfloat16",
        ScalarType.Int64 => "torch.int64",
        ScalarType.Int32 => "torch.int32",
        ScalarType.Int16 => "torch.int16",
        ScalarType.Int8 => "torch.int8",
        ScalarType.UInt8 => "torch.uint8",
        ScalarType.Bool => "torch.bool",
        _ => throw new InvalidOperationException($"export: no torch dtype for {t}"),
    };
}
