using System.Buffers.Binary;
using System.IO.Compression;
using FluentAssertions;
using RepLab.Host.Run;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests;

public class ImagesTests
{
    /// <summary>Decodes our own PNG output with an independent reading of the format (chunks, CRCs, zlib, filter 0).</summary>
    private static (int w, int h, int colourType, byte[] pixels) Decode(byte[] png)
    {
        png.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        int pos = 8, w = 0, h = 0, type = 0;
        var idat = new MemoryStream();
        while (pos < png.Length)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var kind = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Images.Crc32(png.AsSpan(pos + 4, 4 + len)).Should().Be(crc, $"chunk {kind} has a valid CRC");
            if (kind == "IHDR") (w, h, type) = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos + 8)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos + 12)), png[pos + 17]);
            if (kind == "IDAT") idat.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var channels = type == 0 ? 1 : 3;
        var rows = raw.ToArray();
        var pixels = new byte[w * h * channels];
        for (var y = 0; y < h; y++)
        {
            rows[y * (w * channels + 1)].Should().Be(0, "filter type None");
            Array.Copy(rows, y * (w * channels + 1) + 1, pixels, y * w * channels, w * channels);
        }
        return (w, h, type, pixels);
    }

    [Fact]
    public void Crc32_matches_the_known_check_value() => Images.Crc32("123456789"u8).Should().Be(0xCBF43926u);

    [Fact]
    public void Png_round_trips_gray_and_rgb_pixels()
    {
        using var scope = torch.NewDisposeScope();
        var gray = torch.arange(0, 12, 1, ScalarType.UInt8).reshape(1, 3, 4);
        var (w, h, type, pixels) = Decode(Images.EncodePng(gray));
        (w, h, type).Should().Be((4, 3, 0));
        pixels.Should().Equal(gray.data<byte>());
        var rgb = torch.arange(0, 24, 1, ScalarType.UInt8).reshape(3, 2, 4);
        var (w3, h3, type3, px3) = Decode(Images.EncodePng(rgb));
        (w3, h3, type3).Should().Be((4, 2, 2));
        px3.Should().Equal(rgb.permute(1, 2, 0).contiguous().data<byte>(), "PNG stores RGB interleaved per pixel");
    }

    [Fact]
    public void Grid_places_each_image_in_its_cell_with_padding()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.stack([torch.zeros(1, 2, 2), torch.full([1, 2, 2], 0.5), torch.ones(1, 2, 2)]);
        var grid = Images.Grid(images, columns: 2, padding: 1, background: 0);
        grid.shape.Should().Equal(1, 7, 7);
        grid[0][1][4].item<int>().Should().Be(128, "image 1 sits in row 0, column 1");
        grid[0][4][1].item<int>().Should().Be(255, "image 2 starts the second row");
        grid[0][0][0].item<int>().Should().Be(0, "padding");
    }
}
