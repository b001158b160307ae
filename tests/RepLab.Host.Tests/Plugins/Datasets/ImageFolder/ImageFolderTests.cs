using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using FluentAssertions;
using RepLab.Abstractions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Datasets.DatasetKit;

namespace RepLab.Host.Tests.Plugins.Datasets.ImageFolder;

/// <summary>
/// The image-folder dataset on small PNG and JPEG files written here: the expected pixels are
/// placed by the published formats, independently of the reader.
/// </summary>
public class ImageFolderTests() : DatasetFiles("replab-images-")
{
    // ---------------------------------------------------------------- PNG and JPEG writers

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>A minimal 8-bit PNG (colour type 0 gray or 2 RGB, filter 0 on every row) from interleaved pixels.</summary>
    private static byte[] Png(byte[] pixels, int width, int height, int channels)
    {
        var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * width * channels, width * channels);
        }
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8;
        ihdr[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };  // gray, gray+alpha, RGB, RGBA
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            var body = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            var len = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
            png.Write(len);
            png.Write(body);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
            png.Write(crc);
        }
        Chunk("IHDR", ihdr);
        Chunk("IDAT", idat.ToArray());
        Chunk("IEND", []);
        return png.ToArray();
    }

    [DllImport("libturbojpeg.so.0")]
    private static extern IntPtr tjInitCompress();

    [DllImport("libturbojpeg.so.0")]
    private static extern int tjCompress2(IntPtr handle, byte[] src, int width, int pitch, int height, int pixelFormat,
        ref IntPtr jpeg, ref nuint jpegSize, int subsamp, int quality, int flags);

    [DllImport("libturbojpeg.so.0")]
    private static extern void tjFree(IntPtr buffer);

    [DllImport("libturbojpeg.so.0")]
    private static extern int tjDestroy(IntPtr handle);

    /// <summary>An RGB baseline JPEG (4:4:4, quality 95) through libjpeg-turbo's encoder.</summary>
    private static byte[] Jpeg(byte[] rgb, int width, int height)
    {
        var h = tjInitCompress();
        h.Should().NotBe(IntPtr.Zero);
        try
        {
            IntPtr buffer = IntPtr.Zero;
            nuint size = 0;
            tjCompress2(h, rgb, width, width * 3, height, 0 /* TJPF_RGB */, ref buffer, ref size, 0 /* TJSAMP_444 */, 95, 0).Should().Be(0);
            var jpeg = new byte[(int)size];
            Marshal.Copy(buffer, jpeg, 0, jpeg.Length);
            tjFree(buffer);
            return jpeg;
        }
        finally
        {
            tjDestroy(h);
        }
    }

    /// <summary>Interleaved H, W, C pixels of a loaded image as the set stores them (C, H, W).</summary>
    private static byte[] Interleaved(ImageSet set, int index)
    {
        using var hwc = set.Images.slice(0, index, index + 1).permute(0, 2, 3, 1).contiguous();
        return hwc.data<byte>();
    }

    [Fact]
    public void Image_folder_decodes_gray_and_rgb_pngs_exactly()
    {
        var rng = new Random(7);
        var gray = new byte[6 * 5];
        var rgb = new byte[6 * 5 * 3];
        rng.NextBytes(gray);
        rng.NextBytes(rgb);
        Write("a/gray.png", Png(gray, 6, 5, 1));
        Write("b/rgb.png", Png(rgb, 6, 5, 3));
        // Non-square sources are center-cropped and resized (tested below); check a square one exactly.
        var square = new byte[6 * 6 * 3];
        rng.NextBytes(square);
        Write("b/square.png", Png(square, 6, 6, 3));
        using var set = Create("image-folder", ("Root", dir), ("Size", 6), ("Channels", 3)).Load("train");
        set.Images.shape.Should().Equal(3, 3, 6, 6);
        set.Labels!.data<long>().Should().Equal(0, 1, 1);
        Interleaved(set, 2).Should().Equal(square, "an RGB PNG at its own size decodes to its exact pixels");

        var dir2 = Path.Combine(dir, "g");
        var g = new byte[4 * 4];
        rng.NextBytes(g);
        Directory.CreateDirectory(Path.Combine(dir2, "only"));
        File.WriteAllBytes(Path.Combine(dir2, "only", "x.png"), Png(g, 4, 4, 1));
        using var one = Create("image-folder", ("Root", dir2), ("Size", 4), ("Channels", 1)).Load("train");
        one.Images.shape.Should().Equal(1, 1, 4, 4);
        one.Images.data<byte>().Should().Equal(g);
        using var three = Create("image-folder", ("Root", dir2), ("Size", 4), ("Channels", 3)).Load("train");
        Interleaved(three, 0).Should().Equal(g.SelectMany(v => new[] { v, v, v }), "a gray PNG read as RGB repeats the gray value");
    }

    [Fact]
    public void Image_folder_reads_colour_pngs_as_gray_with_pillows_bt601_luma()
    {
        // Pure primaries, white, gray, black and three mixtures, with the levels Pillow's convert("L")
        // gives them: (19595 R + 38470 G + 7471 B + 32768) >> 16. (0, 0, 250) is 28.5 in thousandths but
        // 28.4995 in Pillow's 1/65536 steps, so it tells the two roundings apart; libpng's
        // own conversion (linear-light weights) would make pure red 126, not 76.
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 250, 255, 255, 255, 128, 128, 128, 0, 0, 0, 200, 100, 50, 10, 20, 30];
        Write("colour/x.png", Png(rgb, 3, 3, 3));
        using var set = Create("image-folder", ("Root", dir), ("Size", 3), ("Channels", 1)).Load("train");
        set.Images.shape.Should().Equal(1, 1, 3, 3);
        set.Images.data<byte>().Should().Equal(76, 150, 29, 28, 255, 128, 0, 124, 18);
    }

    /// <summary>An interleaved RGB image s x s whose pixel (x, y) is <paramref name="colour"/>(x, y): smooth ones survive JPEG closely.</summary>
    private static byte[] Smooth(int s, Func<int, int, (int R, int G, int B)> colour)
    {
        var rgb = new byte[s * s * 3];
        for (var y = 0; y < s; y++)
            for (var x = 0; x < s; x++)
                (rgb[(y * s + x) * 3], rgb[(y * s + x) * 3 + 1], rgb[(y * s + x) * 3 + 2]) = ((byte)colour(x, y).R, (byte)colour(x, y).G, (byte)colour(x, y).B);
        return rgb;
    }

    [Fact]
    public void Image_folder_reads_colour_jpegs_as_gray_with_the_same_luma_as_pngs()
    {
        const int s = 16;
        Write("c/img.jpg", Jpeg(Smooth(s, (x, y) => (x * 15, 255 - y * 15, (x + y) * 7)), s, s));
        using var colour = Create("image-folder", ("Root", dir), ("Size", s), ("Channels", 3)).Load("train");
        using var gray = Create("image-folder", ("Root", dir), ("Size", s), ("Channels", 1)).Load("train");
        // Pillow converts the decoded RGB, not the file's Y plane (which differs by rounding), and so
        // must image-folder, so that a folder of PNGs and JPEGs gets one gray.
        var decoded = Interleaved(colour, 0);
        var expected = Enumerable.Range(0, s * s)
            .Select(i => (byte)((19595 * decoded[3 * i] + 38470 * decoded[3 * i + 1] + 7471 * decoded[3 * i + 2] + 32768) >> 16));
        gray.Images.data<byte>().Should().Equal(expected);
    }

    [Fact]
    public void Image_folder_drops_alpha_as_pillow_does_instead_of_compositing()
    {
        // Half-transparent pixels: Pillow's convert("RGB") (torchvision's loader) keeps the colour
        // and drops the alpha; compositing onto black would halve them.
        byte[] rgba = [200, 100, 50, 128, 10, 20, 30, 0, 255, 255, 255, 255, 0, 0, 0, 64];
        Write("a/rgba.png", Png(rgba, 2, 2, 4));
        using var rgb = Create("image-folder", ("Root", dir), ("Size", 2), ("Channels", 3)).Load("train");
        Interleaved(rgb, 0).Should().Equal(200, 100, 50, 10, 20, 30, 255, 255, 255, 0, 0, 0);
        var grayAlpha = Path.Combine(dir, "ga");
        Directory.CreateDirectory(Path.Combine(grayAlpha, "c"));
        File.WriteAllBytes(Path.Combine(grayAlpha, "c", "x.png"), Png([90, 10, 180, 255, 7, 0, 33, 128], 2, 2, 2));
        using var gray = Create("image-folder", ("Root", grayAlpha), ("Size", 2), ("Channels", 1)).Load("train");
        gray.Images.data<byte>().Should().Equal(90, 180, 7, 33);
    }

    [Fact]
    public void Image_folder_decodes_jpegs_within_jpeg_tolerance_and_resizes()
    {
        const int s = 16;
        // Smooth and asymmetric: red follows x, green follows y, so a transposition fails the check.
        var rgb = Smooth(s, (x, y) => (x * 15, y * 15, 128));
        Write("c/img.jpg", Jpeg(rgb, s, s));
        using var set = Create("image-folder", ("Root", dir), ("Size", s)).Load("train");
        var got = Interleaved(set, 0);
        var errors = got.Zip(rgb, (a, b) => Math.Abs(a - b)).ToArray();
        errors.Average().Should().BeLessThan(3, "quality 95 JPEG of a smooth image");
        errors.Max().Should().BeLessThan(16);

        // 16 -> 8 is antialiased: the 1, 3, 3, 1 weights over each axis of the decoded pixels.
        using var half = Create("image-folder", ("Root", dir), ("Size", 8)).Load("train");
        var small = Interleaved(half, 0);
        for (var c = 0; c < 3; c++)
        {
            var expected = AntialiasedPlane((yy, xx) => got[(yy * s + xx) * 3 + c], s, s, 8);
            for (var p = 0; p < 64; p++) ((double)small[p * 3 + c]).Should().BeApproximately(expected[p], 0.5 + 1e-3);
        }
    }

    [Fact]
    public void Image_folder_center_crops_or_stretches_non_square_images()
    {
        // 8 wide, 4 high, gray: the value is 10 x column + row, so every pixel says where it came from.
        var wide = new byte[4 * 8];
        for (var y = 0; y < 4; y++)
            for (var x = 0; x < 8; x++) wide[y * 8 + x] = (byte)(10 * x + y);
        Write("a/wide.png", Png(wide, 8, 4, 1));
        using var cropped = Create("image-folder", ("Root", dir), ("Size", 4), ("Channels", 1)).Load("train");
        // The default center-crop keeps columns 2..5 at their own size: exact pixels.
        cropped.Images.data<byte>().Should().Equal(Enumerable.Range(0, 16).Select(i => (byte)(10 * (2 + i % 4) + i / 4)));

        using var stretched = Create("image-folder", ("Root", dir), ("Size", 4), ("Channels", 1), ("Fit", "stretch")).Load("train");
        var expected = AntialiasedPlane((yy, xx) => wide[yy * 8 + xx], 4, 8, 4);
        var got = stretched.Images.data<byte>();
        for (var p = 0; p < 16; p++) ((double)got[p]).Should().BeApproximately(expected[p], 0.5 + 1e-3, "stretch halves the width, keeps the rows");
        got[3].Should().BeGreaterThan(60, "the last column of a stretched image comes from the right edge, beyond the central square");

        var bad = () => Create("image-folder", ("Root", dir), ("Fit", "squash"));
        bad.Should().Throw<Exception>().Where(e => e.ToString().Contains("squash"));
    }

    [Fact]
    public void Image_folder_limit_spreads_over_every_class_and_the_first_broken_file_is_named()
    {
        foreach (var c in new[] { "a", "b", "c" })
            for (var i = 0; i < 4; i++) Write($"{c}/{i}.png", Png([(byte)(c[0] + i)], 1, 1, 1));
        using var three = Create("image-folder", ("Root", dir), ("Size", 1), ("Channels", 1), ("Limit", 3)).Load("train");
        three.Labels!.data<long>().Should().Equal(0, 1, 2);
        three.Images.data<byte>().Should().Equal((byte)'a', (byte)'b', (byte)'c');
        using var all = Create("image-folder", ("Root", dir), ("Size", 1), ("Channels", 1), ("Limit", 100)).Load("train");
        all.Count.Should().Be(12);

        // Broken files late and early in the list: decoded in parallel, the error names the first in list order.
        Write("c/3.png", "not an image"u8.ToArray());
        var first = Write("a/1.png", "not an image either"u8.ToArray());
        var load = () => Create("image-folder", ("Root", dir), ("Size", 1), ("Channels", 1)).Load("train");
        load.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {first}: neither a PNG nor a JPEG*");
    }

    [Fact]
    public void Image_folder_class_indices_follow_sorted_folder_names()
    {
        // Created out of order, so creation order and sorted order differ; ordinal sort puts capitals first.
        string[] folders = ["zebra", "Apple", "mango"];
        foreach (var (f, value) in folders.Select((f, i) => (f, (byte)(50 * (i + 1)))))
            Write($"{f}/img.png", Png(Enumerable.Repeat(value, 4 * 4).ToArray(), 4, 4, 1));
        using var set = Create("image-folder", ("Root", dir), ("Size", 4), ("Channels", 1)).Load("train");
        set.Classes.Should().Be(3);
        var labels = set.Labels!.data<long>();
        var byLabel = Enumerable.Range(0, 3).ToDictionary(i => labels[i], i => set.Images.slice(0, i, i + 1).data<byte>()[0]);
        byLabel.Should().Equal(new Dictionary<long, byte> { [0] = 100 /* Apple */, [1] = 150 /* mango */, [2] = 50 /* zebra */ });
    }

    [Fact]
    public void Image_folder_split_folders_give_train_and_test()
    {
        Write("train/a/1.png", Png([1, 2, 3, 4], 2, 2, 1));
        Write("train/b/1.png", Png([5, 6, 7, 8], 2, 2, 1));
        Write("test/b/1.png", Png([9, 9, 9, 9], 2, 2, 1));
        var dataset = Create("image-folder", ("Root", dir), ("Size", 2), ("Channels", 1), ("SplitFolders", true));
        dataset.Splits.Should().Equal("train", "test");
        using var train = dataset.Load("train");
        using var test = dataset.Load("test");
        train.Count.Should().Be(2);
        test.Images.data<byte>().Should().Equal(9, 9, 9, 9);
        test.Labels!.data<long>().Should().Equal(0);
        var noSplit = () => Create("image-folder", ("Root", dir)).Load("test");
        noSplit.Should().Throw<ArgumentException>().WithMessage("*no split 'test'*split-folders*");
    }

    [Fact]
    public void Image_folder_cache_is_reused_until_an_image_is_newer()
    {
        Write("a/1.png", Png([10, 20, 30, 40], 2, 2, 1));
        var second = Write("b/2.png", Png([50, 60, 70, 80], 2, 2, 1));
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "a/1.png"), old);
        File.SetLastWriteTimeUtc(second, old);
        (string, object)[] settings = [("Root", dir), ("Size", 2), ("Channels", 1), ("Cache", true)];
        using (var first = Create("image-folder", settings).Load("train"))
            first.Images.data<byte>().Should().Equal(10, 20, 30, 40, 50, 60, 70, 80);
        var cache = Path.Combine(dir, ".replab-cache-2-1-center-crop.safetensors");
        File.Exists(cache).Should().BeTrue();

        // Garbage of the same size, older than the cache: loading succeeds, so the image was not decoded again.
        var size = (int)new FileInfo(second).Length;
        File.WriteAllBytes(second, new byte[size]);
        File.SetLastWriteTimeUtc(second, old);
        using (var cached = Create("image-folder", settings).Load("train"))
            cached.Images.data<byte>().Should().Equal(10, 20, 30, 40, 50, 60, 70, 80);
        // A different size with an old time stamp (a copy that kept it) is a change: decoded again.
        File.WriteAllBytes(second, [1, 2, 3]);
        File.SetLastWriteTimeUtc(second, old);
        var resized = () => Create("image-folder", settings).Load("train");
        resized.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {second}: neither a PNG nor a JPEG*");
        File.WriteAllBytes(second, new byte[size]);
        File.SetLastWriteTimeUtc(second, old);
        using (var cached = Create("image-folder", settings).Load("train"))
            cached.Images.data<byte>().Should().Equal(10, 20, 30, 40, 50, 60, 70, 80);

        // Newer than the cache: decoded again (and garbage is an error naming the file).
        File.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddMinutes(1));
        var stale = () => Create("image-folder", settings).Load("train");
        stale.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {second}: neither a PNG nor a JPEG*");
        File.WriteAllBytes(second, Png([1, 1, 1, 1], 2, 2, 1));
        File.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddMinutes(1));
        using (var fresh = Create("image-folder", settings).Load("train"))
            fresh.Images.data<byte>().Should().Equal(10, 20, 30, 40, 1, 1, 1, 1);

        // A damaged cache (cut short) is rebuilt, not an error.
        var bytes = File.ReadAllBytes(cache);
        File.WriteAllBytes(cache, bytes[..(bytes.Length / 2)]);
        File.SetLastWriteTimeUtc(cache, DateTime.UtcNow.AddMinutes(2));
        using (var rebuilt = Create("image-folder", settings).Load("train"))
            rebuilt.Images.data<byte>().Should().Equal(10, 20, 30, 40, 1, 1, 1, 1);
        File.ReadAllBytes(cache).Length.Should().Be(bytes.Length, "written anew");

        // Without cache: true nothing is read from the cache file.
        File.SetLastWriteTimeUtc(second, old);
        File.WriteAllBytes(second, [1, 2, 3]);
        File.SetLastWriteTimeUtc(second, old);
        var uncached = () => Create("image-folder", ("Root", dir), ("Size", 2), ("Channels", 1)).Load("train");
        uncached.Should().Throw<InvalidDataException>().WithMessage($"*{second}*");
    }

    [Fact]
    public void Image_folder_names_the_missing_folder_and_the_broken_file()
    {
        var root = Path.Combine(dir, "absent");
        var missing = () => Create("image-folder", ("Root", root)).Load("train");
        missing.Should().Throw<DirectoryNotFoundException>().WithMessage($"image-folder: expected the folder {root} (one subfolder*PNG or JPEG*");

        Directory.CreateDirectory(Path.Combine(dir, "empty", "cls"));
        var empty = () => Create("image-folder", ("Root", Path.Combine(dir, "empty"))).Load("train");
        empty.Should().Throw<FileNotFoundException>().WithMessage("image-folder: expected PNG or JPEG images in*found none");

        var png = Png(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray(), 8, 8, 1);
        var truncatedPng = Write("t/a/x.png", png[..40]);
        var badPng = () => Create("image-folder", ("Root", Path.Combine(dir, "t"))).Load("train");
        badPng.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {truncatedPng}: not a readable PNG (libpng: *)");

        var jpeg = Jpeg(new byte[16 * 16 * 3], 16, 16);
        var truncatedJpeg = Write("j/a/x.jpg", jpeg[..(jpeg.Length / 2)]);
        var badJpeg = () => Create("image-folder", ("Root", Path.Combine(dir, "j"))).Load("train");
        badJpeg.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {truncatedJpeg}: not a readable JPEG (libjpeg-turbo: *)");

        var text = Write("w/a/x.png", "not an image"u8.ToArray());
        var wrong = () => Create("image-folder", ("Root", Path.Combine(dir, "w"))).Load("train");
        wrong.Should().Throw<InvalidDataException>().WithMessage($"image-folder: {text}: neither a PNG nor a JPEG*");
    }

    [Theory]
    [InlineData(100_000, 100_000)]
    [InlineData(20_000, 20_000)]
    public void A_header_claiming_a_huge_image_is_refused_before_decoding_naming_the_file(int width, int height)
    {
        // A real 1x1 PNG whose IHDR is rewritten to claim the size (CRC recomputed): a few dozen bytes.
        var png = Png([7], 1, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        var path = Write("shirt/huge.png", png);
        var load = () => Create("image-folder", ("Root", dir), ("Channels", 1)).Load("train");
        load.Should().Throw<InvalidDataException>().WithMessage($"*{path}: {width:N0} x {height:N0} pixels, more than max-pixels 40,000,000*");
    }

    [Fact]
    public void Image_folder_names_its_folder_as_the_source_and_its_classes_by_their_folders()
    {
        var rng = new Random(8);
        var pixels = new byte[4 * 4];
        rng.NextBytes(pixels);
        Write("train/cats/a.png", Png(pixels, 4, 4, 1));
        Write("train/dogs/b.png", Png(pixels, 4, 4, 1));
        var dataset = Create("image-folder", ("Root", dir), ("Size", 4), ("Channels", 1), ("SplitFolders", true), ("Cache", true));
        dataset.SourceOf("train").Should().Equal(Path.Combine(dir, "train"));
        using (var set = dataset.Load("train")) set.ClassNames.Should().Equal("cats", "dogs");
        using var cached = dataset.Load("train");
        cached.ClassNames.Should().Equal(["cats", "dogs"], "a set read back from the cache keeps its names");
        Directory.GetFiles(Path.Combine(dir, "train"), ".replab-cache-*").Should().ContainSingle("the second load came from the cache");
    }
}
