namespace RepLab.Export;

/// <summary>A node attribute: an int, a float or a list of ints (all the operators we write need).</summary>
internal abstract record OnnxAttribute(string Name);

internal sealed record IntAttribute(string Name, long Value) : OnnxAttribute(Name);

internal sealed record FloatAttribute(string Name, float Value) : OnnxAttribute(Name);

internal sealed record IntsAttribute(string Name, IReadOnlyList<long> Values) : OnnxAttribute(Name);

/// <summary>One operator application (<c>NodeProto</c>) of the default domain (ai.onnx).</summary>
internal sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>A constant tensor (<c>TensorProto</c>): little-endian row-major bytes of <see cref="OnnxModel.Float"/> or <see cref="OnnxModel.Int64"/> elements.</summary>
internal sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, int DataType, ReadOnlyMemory<byte> Raw);

/// <summary>A graph input or output (<c>ValueInfoProto</c>): a float tensor whose dimension <see cref="Abstractions.ExportValue.Batch"/> is the symbolic <c>batch</c>.</summary>
internal sealed record OnnxValueInfo(string Name, IReadOnlyList<long> Dims);

/// <summary>A graph (<c>GraphProto</c>): nodes in topological order, initializers (not listed as inputs, so runtimes treat them as constants), inputs and outputs.</summary>
internal sealed record OnnxGraph(string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs);

/// <summary>
/// Writes an ONNX <c>ModelProto</c> with the field numbers of ONNX's published <c>onnx.proto</c> (proto2):
/// IR version 8 and opset 17 of the default domain, the versions onnx 1.12 (Debian 12's checker) knows
/// and ONNX Runtime runs.
/// </summary>
internal static class OnnxModel
{
    public const long IrVersion = 8, Opset = 17;

    /// <summary><c>TensorProto.DataType</c> codes.</summary>
    public const int Float = 1, Int64 = 7;

    // AttributeProto.AttributeType codes.
    private const int AttrFloat = 1, AttrInt = 2, AttrInts = 7;

    /// <summary>The model: <paramref name="graph"/>, the opset import and <paramref name="metadata"/> as <c>metadata_props</c>.</summary>
    public static void Write(Stream stream, OnnxGraph graph, IReadOnlyDictionary<string, string> metadata, string producerVersion)
    {
        using var w = new ProtoWriter(stream);
        w.Varint(1, IrVersion);                  // ir_version
        w.String(2, "RepLab");                   // producer_name
        w.String(3, producerVersion);            // producer_version
        w.Message(7, g => Graph(g, graph));      // graph
        w.Message(8, o =>                        // opset_import: OperatorSetIdProto
        {
            o.String(1, "");                     // domain: ai.onnx
            o.Varint(2, Opset);                  // version
        });
        foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.Message(14, e =>                   // metadata_props: StringStringEntryProto
            {
                e.String(1, key);
                e.String(2, value);
            });
    }

    private static void Graph(ProtoWriter w, OnnxGraph graph)
    {
        foreach (var node in graph.Nodes) w.Message(1, n => Node(n, node));
        w.String(2, graph.Name);
        foreach (var tensor in graph.Initializers) w.Message(5, t => Tensor(t, tensor));
        foreach (var input in graph.Inputs) w.Message(11, v => ValueInfo(v, input));
        foreach (var output in graph.Outputs) w.Message(12, v => ValueInfo(v, output));
    }

    private static void Node(ProtoWriter w, OnnxNode node)
    {
        foreach (var input in node.Inputs) w.String(1, input);
        foreach (var output in node.Outputs) w.String(2, output);
        w.String(3, node.Name);
        w.String(4, node.OpType);
        foreach (var attribute in node.Attributes) w.Message(5, a => Attribute(a, attribute));
    }

    private static void Attribute(ProtoWriter w, OnnxAttribute attribute)
    {
        w.String(1, attribute.Name);
        switch (attribute)
        {
            case FloatAttribute f:
                w.Float(2, f.Value);
                w.Varint(20, AttrFloat);
                break;
            case IntAttribute i:
                w.Varint(3, i.Value);
                w.Varint(20, AttrInt);
                break;
            case IntsAttribute list:
                foreach (var v in list.Values) w.Varint(8, v);
                w.Varint(20, AttrInts);
                break;
        }
    }

    private static void Tensor(ProtoWriter w, OnnxTensor tensor)
    {
        foreach (var d in tensor.Dims) w.Varint(1, d);
        w.Varint(2, tensor.DataType);
        w.String(8, tensor.Name);
        w.Bytes(9, tensor.Raw);                  // raw_data
    }

    private static void ValueInfo(ProtoWriter w, OnnxValueInfo info)
    {
        w.String(1, info.Name);
        w.Message(2, type => type.Message(1, tensor =>     // type: TypeProto { tensor_type: TypeProto.Tensor }
        {
            tensor.Varint(1, Float);                       // elem_type
            tensor.Message(2, shape =>                     // shape: TensorShapeProto
            {
                foreach (var d in info.Dims)
                    shape.Message(1, dim =>                // dim: Dimension { dim_value | dim_param }
                    {
                        if (d == Abstractions.ExportValue.Batch) dim.String(2, "batch");
                        else dim.Varint(1, d);
                    });
            });
        }));
    }
}
