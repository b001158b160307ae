using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RepLab.Torch;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
/// name to its dtype, shape and [begin, end) data offsets (plus an optional string-to-string
/// <c>__metadata__</c>), then the raw little-endian tensor bytes. Python's safetensors reads
/// what this writes and the other way round.
/// </summary>
public static class Safetensors
{
    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.UInt8] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private const long MaxHeader = 100_000_000;

    /// <summary>
    /// Writes atomically: to a temporary file beside <paramref name="path"/>, flushed to disk, then
    /// renamed over it, so a crash leaves either the old file or the new one, never a torn one.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var kv in metadata) meta[kv.Key] = kv.Value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in ordered)
        {
            var size = t.numel() * t.dtype.ElementSize();
            header[name] = new JsonObject
            {
                ["dtype"] = Names.TryGetValue(t.dtype, out var n) ? n : throw new NotSupportedException($"safetensors: no name for {t.dtype}"),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to 8 bytes, as the reference writer does, so data is aligned.
        var padded = (json.Length + 7) / 8 * 8;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                fs.Write(len);
                fs.Write(json);
                for (var i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
                foreach (var (_, t) in ordered) fs.Write(t.bytes());
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata; a malformed file is an error naming the file and what is wrong.</summary>
    public static (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        string Bad(string why) => $"{path}: not a valid safetensors file: {why}";
        if (bytes.Length < 8) throw new InvalidDataException(Bad("shorter than its 8-byte header length"));
        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || 8 + (long)n > bytes.Length) throw new InvalidDataException(Bad($"header length {n} exceeds the file"));
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)n))?.AsObject() ?? throw new InvalidDataException(Bad("empty header"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(Bad($"header is not JSON ({e.Message})"));
        }
        var dataStart = 8 + (long)n;
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var kv in node!.AsObject()) metadata[kv.Key] = kv.Value!.GetValue<string>();
                    continue;
                }
                var info = node!.AsObject();
                var dtypeName = info["dtype"]!.GetValue<string>();
                var dtype = Names.FirstOrDefault(kv => kv.Value == dtypeName).Key;
                if (!Names.ContainsKey(dtype) || Names[dtype] != dtypeName) throw new InvalidDataException(Bad($"'{name}' has unsupported dtype {dtypeName}"));
                var shape = info["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offs = info["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var expected = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
                if (offs.Length != 2 || offs[1] - offs[0] != expected || offs[0] < 0 || dataStart + offs[1] > bytes.Length)
                    throw new InvalidDataException(Bad($"'{name}' has data offsets [{string.Join(", ", offs)}] that do not fit its shape or the file"));
                tensors[name] = torch.from_bytes(bytes.AsSpan((int)(dataStart + offs[0]), (int)expected), dtype, shape);
            }
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException(Bad(e.Message));
        }
        return (tensors, metadata);
    }
}
