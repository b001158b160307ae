using Google.Protobuf;

namespace RepLab.Export;

/// <summary>
/// Protocol-buffer fields written one by one on Google.Protobuf's <see cref="CodedOutputStream"/>, without
/// generated code: a tag (field number and wire type) then the value. A nested message is written into
/// a buffer first, since its length prefix comes before it. Repeated scalars are written unpacked, one
/// tag per element, as proto2's reference writer does for fields not declared packed.
/// </summary>
internal sealed class ProtoWriter : IDisposable
{
    private readonly CodedOutputStream output;

    /// <summary>Fields written to <paramref name="stream"/>, which stays open; <see cref="Dispose"/> flushes.</summary>
    public ProtoWriter(Stream stream) => output = new CodedOutputStream(stream, leaveOpen: true);

    /// <summary>An integer field (int32, int64, enum): varint.</summary>
    public void Varint(int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    /// <summary>A float field: fixed 32 bits.</summary>
    public void Float(int field, float value)
    {
        output.WriteTag(field, WireFormat.WireType.Fixed32);
        output.WriteFloat(value);
    }

    /// <summary>A string field: length-delimited UTF-8.</summary>
    public void String(int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    /// <summary>A bytes field: length-delimited (the bytes are not copied).</summary>
    public void Bytes(int field, ReadOnlyMemory<byte> value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
    }

    /// <summary>An embedded message field whose fields <paramref name="body"/> writes.</summary>
    public void Message(int field, Action<ProtoWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var inner = new ProtoWriter(buffer)) body(inner);
        Bytes(field, buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Flushes what is buffered to the stream (which stays open).</summary>
    public void Dispose() => output.Dispose();
}
