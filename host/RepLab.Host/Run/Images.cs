using System.Buffers.Binary;
using System.IO.Compression;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>PNG grids of image batches, for samples, reconstructions and view previews.</summary>
internal static class Images
{
    /// <summary>
    /// Lays out float images [N, C, H, W] in [0, 1] as a grid of <paramref name="columns"/> per row
    /// with <paramref name="padding"/> pixels of <paramref name="background"/> between them; returns
    /// uint8 [C, H', W'] on the CPU.
    /// </summary>
    public static Tensor Grid(Tensor images, int columns, int padding = 2, double background = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        var s = images.shape;
        if (s.Length != 4) throw new ArgumentException($"Grid expects [N, C, H, W], got [{string.Join(", ", s)}]");
        long n = s[0], c = s[1], h = s[2], w = s[3];
        columns = (int)Math.Max(1, Math.Min(columns, n));
        var rows = (n + columns - 1) / columns;
        var grid = torch.full([c, rows * (h + padding) + padding, columns * (w + padding) + padding], background);
        var cpu = images.detach().to(Device.CPU, ScalarType.Float32).clamp(0, 1);
        for (var i = 0; i < n; i++)
        {
            long y = padding + i / columns * (h + padding), x = padding + i % columns * (w + padding);
            grid.narrow(1, y, h).narrow(2, x, w).copy_(cpu[i]);
        }
        return (grid * 255.0).round().to(ScalarType.UInt8).MoveToOuterScope();
    }

    /// <summary>Encodes uint8 [C, H, W] (C = 1 gray or 3 RGB) as an 8-bit PNG.</summary>
    public static byte[] EncodePng(Tensor image)
    {
        var s = image.shape;
        if (s.Length != 3 || (s[0] != 1 && s[0] != 3) || image.dtype != ScalarType.UInt8)
            throw new ArgumentException($"EncodePng expects uint8 [1 or 3, H, W], got {image}");
        int c = (int)s[0], h = (int)s[1], w = (int)s[2];
        using var hwc = image.permute(1, 2, 0).contiguous();
        var pixels = hwc.data<byte>();
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (var y = 0; y < h; y++)
            {
                z.WriteByte(0); // filter type None for every scanline
                z.Write(pixels, y * w * c, w * c);
            }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, w);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), h);
        header[8] = 8;                       // bit depth
        header[9] = (byte)(c == 1 ? 0 : 2);  // colour type: gray or RGB
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = new byte[4 + data.Length];
        for (var i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, as in zlib).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
