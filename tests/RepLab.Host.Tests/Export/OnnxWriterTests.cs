using System.Runtime.InteropServices;
using FluentAssertions;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using RepLab.Abstractions;
using RepLab.Export;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Export;

/// <summary>
/// The ONNX writer's bytes, read back field by field with Google.Protobuf's CodedInputStream against the
/// field numbers and wire types of ONNX's published onnx.proto; and adaptive max pooling lowered exactly.
/// </summary>
public class OnnxWriterTests
{
    private sealed record Field(int Number, WireFormat.WireType Type, object Value)
    {
        public List<Field> Message => Read((ByteString)Value);

        public string Text => ((ByteString)Value).ToStringUtf8();
    }

    private static List<Field> Read(ByteString bytes)
    {
        var input = new CodedInputStream(bytes.ToByteArray());
        var fields = new List<Field>();
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            var type = WireFormat.GetTagWireType(tag);
            object value = type switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.Fixed32 => input.ReadFloat(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes(),
                _ => throw new InvalidDataException($"unexpected wire type {type}"),
            };
            fields.Add(new Field(WireFormat.GetTagFieldNumber(tag), type, value));
        }
        return fields;
    }

    private static IEnumerable<Field> All(List<Field> message, int number) => message.Where(f => f.Number == number);

    private static Field One(List<Field> message, int number) => All(message, number).Should().ContainSingle($"field {number}").Which;

    [Fact]
    public void A_model_reads_back_with_onnx_field_numbers_and_wire_types()
    {
        var graph = new OnnxGraph("tiny",
            [new OnnxNode("Gemm", "head", ["images", "w"], ["features"], [new IntAttribute("transB", 1), new FloatAttribute("alpha", 0.5f), new IntsAttribute("axes", [2, 3])])],
            [new OnnxTensor("w", [3, 2], OnnxModel.Float, MemoryMarshal.AsBytes<float>([1, 2, 3, 4, 5, 6]).ToArray())],
            [new OnnxValueInfo("images", [ExportValue.Batch, 2])], [new OnnxValueInfo("features", [ExportValue.Batch, 3])]);
        using var stream = new MemoryStream();
        OnnxModel.Write(stream, graph, new Dictionary<string, string> { ["replab.run_id"] = "abc" }, "1.0.0");
        var model = Read(ByteString.CopyFrom(stream.ToArray()));

        model.Select(f => (f.Number, f.Type)).Should().Equal((1, WireFormat.WireType.Varint), (2, WireFormat.WireType.LengthDelimited), (3, WireFormat.WireType.LengthDelimited),
            (7, WireFormat.WireType.LengthDelimited), (8, WireFormat.WireType.LengthDelimited), (14, WireFormat.WireType.LengthDelimited));
        One(model, 1).Value.Should().Be(8L, "ir_version 8");
        One(model, 2).Text.Should().Be("RepLab");
        One(model, 8).Message.Select(f => (f.Number, f.Type == WireFormat.WireType.Varint ? f.Value : f.Text)).Should().Equal((1, ""), (2, 17L));
        One(model, 14).Message.Select(f => f.Text).Should().Equal("replab.run_id", "abc");

        var g = One(model, 7).Message;
        One(g, 2).Text.Should().Be("tiny");
        var node = One(g, 1).Message;
        All(node, 1).Select(f => f.Text).Should().Equal("images", "w");
        All(node, 2).Select(f => f.Text).Should().Equal("features");
        (One(node, 3).Text, One(node, 4).Text).Should().Be(("head", "Gemm"));
        var attributes = All(node, 5).Select(f => f.Message).ToList();
        attributes[0].Select(f => (f.Number, f.Value is ByteString b ? b.ToStringUtf8() : f.Value)).Should().Equal((1, "transB"), (3, 1L), (20, 2L));
        attributes[1].Select(f => (f.Number, f.Type)).Should().Equal((1, WireFormat.WireType.LengthDelimited), (2, WireFormat.WireType.Fixed32), (20, WireFormat.WireType.Varint));
        (One(attributes[1], 2).Value, One(attributes[1], 20).Value).Should().Be((0.5f, 1L));
        All(attributes[2], 8).Select(f => f.Value).Should().Equal([2L, 3L], "ints are written unpacked, one varint each");
        One(attributes[2], 20).Value.Should().Be(7L, "INTS");

        var tensor = One(g, 5).Message;
        All(tensor, 1).Select(f => f.Value).Should().Equal([3L, 2L], "dims, unpacked");
        (One(tensor, 2).Value, One(tensor, 8).Text).Should().Be((1L, "w"));
        MemoryMarshal.Cast<byte, float>(((ByteString)One(tensor, 9).Value).Span).ToArray().Should().Equal(1, 2, 3, 4, 5, 6);

        var input = One(g, 11).Message;
        One(input, 1).Text.Should().Be("images");
        var tensorType = One(One(input, 2).Message, 1).Message;
        One(tensorType, 1).Value.Should().Be(1L, "elem_type FLOAT");
        var dims = All(One(tensorType, 2).Message, 1).Select(f => f.Message.Single()).ToList();
        (dims[0].Number, dims[0].Text).Should().Be((2, "batch"), "dim_param");
        (dims[1].Number, dims[1].Value).Should().Be((1, 2L), "dim_value");
        One(One(g, 12).Message, 1).Text.Should().Be("features");
    }

    [Theory]
    [InlineData(16, "MaxPool")]
    [InlineData(14, "Slice")]
    [InlineData(7, "Slice")]
    [InlineData(3, "ReduceMax")]
    public void Adaptive_max_pooling_to_4_matches_pytorchs_windows(int side, string lowering)
    {
        using var scope = torch.NewDisposeScope();
        var shape = new ImageShape(2, side, side);
        using var encoder = new SequentialEncoder(2 * 16, new nn.AdaptiveMaxPool2d(4), new nn.Flatten());
        using (var trace = ModuleWalker.Walk(encoder, shape))
            OnnxGraphBuilder.Build(trace, "pool").Nodes.Select(n => n.OpType).Should().Contain(lowering)
                .And.Subject.Should().Contain(side % 4 == 0 ? ["MaxPool"] : new[] { "ReduceMax", "Concat" });
        var dir = Directory.CreateTempSubdirectory("replab-export-pool-").FullName;
        try
        {
            var path = EncoderExport.Write(encoder, shape, ExportFormat.Onnx, dir, new Dictionary<string, string>()).Single();
            using var session = new InferenceSession(path);
            var images = torch.randn([3, 2, side, side]);
            var expected = F.adaptive_max_pool2d(images, 4).flatten(1).data<float>();
            OnnxRuntimeParityTests.Run(session, images).Should().Equal(expected, "a max is exact: every window holds the same elements as PyTorch's");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
