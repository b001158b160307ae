using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

/// <summary>
/// The cifar, stl10 and image-folder datasets on small files written here in the real formats: the
/// expected pixels are placed by the published layouts, independently of the readers.
/// </summary>
public class ImageDatasetTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("replab-images-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static IDataset Create(string name, params (string key, object value)[] settings) => BuiltIn.Create<IDataset>(name, settings);

    private string Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---------------------------------------------------------------- CIFAR

    /// <summary>Random pixels [n, 3, 32, 32] (row-major C, H, W) and records: label bytes, then R, G, B planes.</summary>
    private static (byte[][] pixels, byte[] file) CifarRecords(Random rng, byte[][] labels)
    {
        var pixels = labels.Select(_ => { var p = new byte[3 * 32 * 32]; rng.NextBytes(p); return p; }).ToArray();
        var file = labels.Zip(pixels, (l, p) => l.Concat(p)).SelectMany(b => b).ToArray();
        return (pixels, file);
    }

    private static byte Pixel(byte[] chw, int side, int c, int y, int x) => chw[c * side * side + y * side + x];

    /// <summary>
    /// Weights [n, m] of an antialiased bilinear resize of one axis from m to n pixels, as PIL and
    /// PyTorch's <c>antialias=True</c> define it: output i centred at s (i + 0.5), s = m / n, takes the
    /// triangle filter widened to a support of s, over the pixels within reach, normalised to sum 1.
    /// Halving gives the weights 1, 3, 3, 1 over 8, where plain bilinear would take a 2x2 mean.
    /// </summary>
    private static double[,] AntialiasedWeights(int m, int n)
    {
        var scale = (double)m / n;
        var support = Math.Max(scale, 1.0);
        var w = new double[n, m];
        for (var i = 0; i < n; i++)
        {
            var center = scale * (i + 0.5);
            var (lo, hi) = (Math.Max((int)(center - support + 0.5), 0), Math.Min((int)(center + support + 0.5), m));
            var total = 0.0;
            for (var j = lo; j < hi; j++) total += w[i, j] = Math.Max(0, 1 - Math.Abs((j - center + 0.5) / support));
            for (var j = lo; j < hi; j++) w[i, j] /= total;
        }
        return w;
    }

    /// <summary>An antialiased bilinear resize of one plane [h, w] (at offset) to [n, n], by the separable weights above.</summary>
    private static double[] AntialiasedPlane(Func<int, int, double> at, int h, int w, int n)
    {
        var (wy, wx) = (AntialiasedWeights(h, n), AntialiasedWeights(w, n));
        var result = new double[n * n];
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
                for (var a = 0; a < h; a++)
                    for (var b = 0; b < w; b++)
                        result[y * n + x] += wy[y, a] * wx[x, b] * at(a, b);
        return result;
    }

    [Fact]
    public void Cifar10_reads_the_five_train_batches_in_order_with_pixels_in_place()
    {
        var rng = new Random(1);
        var expected = new List<byte[]>();
        var labels = new List<long>();
        for (var b = 1; b <= 5; b++)
        {
            var l = new[] { (byte)(b % 10), (byte)((b + 3) % 10) };
            var (pixels, file) = CifarRecords(rng, l.Select(x => new[] { x }).ToArray());
            // A known value at a known place: green channel, row 5, column 7 of the first image of the batch.
            pixels[0][1 * 1024 + 5 * 32 + 7] = 0;
            file[1 + 1 * 1024 + 5 * 32 + 7] = 0;
            pixels[0][1 * 1024 + 7 * 32 + 5] = 255;
            file[1 + 1 * 1024 + 7 * 32 + 5] = 255;
            Write($"cifar-10-batches-bin/data_batch_{b}.bin", file);
            expected.AddRange(pixels);
            labels.AddRange(l.Select(x => (long)x));
        }
        using var set = Create("cifar", ("Root", dir)).Load("train");
        set.Images.shape.Should().Equal(10, 3, 32, 32);
        set.Classes.Should().Be(10);
        set.Labels!.data<long>().Should().Equal(labels);
        set.Images.data<byte>().Should().Equal(expected.SelectMany(p => p));
        using (var g = set.Images.slice(0, 2, 3).slice(1, 1, 2))
        {
            var plane = g.data<byte>();
            plane[5 * 32 + 7].Should().Be(0, "(channel 1, y 5, x 7) of image 2 was written as 0");
            plane[7 * 32 + 5].Should().Be(255, "(channel 1, y 7, x 5) of image 2 was written as 255");
        }
        using var limited = Create("cifar", ("Root", dir), ("Limit", 3)).Load("train");
        limited.Labels!.data<long>().Should().Equal(labels.Take(3));
    }

    [Fact]
    public void Cifar100_reads_fine_or_coarse_labels()
    {
        var rng = new Random(2);
        byte[][] labels = [[3, 71], [19, 0], [0, 99]];
        var (pixels, file) = CifarRecords(rng, labels);
        Write("cifar-100-binary/test.bin", file);
        using var fine = Create("cifar", ("Root", dir), ("Variant", "cifar100")).Load("test");
        fine.Classes.Should().Be(100);
        fine.Labels!.data<long>().Should().Equal(71, 0, 99);
        fine.Images.data<byte>().Should().Equal(pixels.SelectMany(p => p));
        Pixel(fine.Images.slice(0, 1, 2).data<byte>(), 32, 2, 31, 0).Should().Be(pixels[1][2 * 1024 + 31 * 32]);
        using var coarse = Create("cifar", ("Root", dir), ("Variant", "cifar100"), ("Labels", "coarse")).Load("test");
        coarse.Classes.Should().Be(20);
        coarse.Labels!.data<long>().Should().Equal(3, 19, 0);
    }

    [Fact]
    public void Cifar_names_the_missing_truncated_or_foreign_file()
    {
        var missing = () => Create("cifar", ("Root", dir)).Load("test");
        missing.Should().Throw<FileNotFoundException>()
            .WithMessage($"cifar: expected {Path.Combine(dir, "cifar-10-batches-bin", "test_batch.bin")} (CIFAR-10 binary version*1 label byte + 3,072 pixel bytes*");
        var missing100 = () => Create("cifar", ("Root", dir), ("Variant", "cifar100")).Load("train");
        missing100.Should().Throw<FileNotFoundException>().WithMessage($"*{Path.Combine(dir, "cifar-100-binary", "train.bin")}*2 label bytes (coarse, fine)*");

        var (_, file) = CifarRecords(new Random(3), [[1], [2]]);
        var path = Write("cifar-10-batches-bin/test_batch.bin", file[..^100]);
        var truncated = () => Create("cifar", ("Root", dir)).Load("test");
        truncated.Should().Throw<InvalidDataException>().WithMessage($"cifar: {path} is truncated*3,073-byte records*");

        // A CIFAR-100 record (label byte 99 first) read as CIFAR-10: the size fits 3,073-byte records but the label cannot.
        file[0] = 99;
        Write("cifar-10-batches-bin/test_batch.bin", file);
        var foreign = () => Create("cifar", ("Root", dir)).Load("test");
        foreign.Should().Throw<InvalidDataException>().WithMessage($"cifar: {path} record 0 has label 99*");

        var split = () => Create("cifar", ("Root", dir)).Load("unlabeled");
        split.Should().Throw<ArgumentException>().WithMessage("*no split 'unlabeled'*");
    }

    // ---------------------------------------------------------------- STL-10

    /// <summary>Random row-major images [n][c][y][x] and their STL-10 bytes, each plane written column-major ([c][x][y]).</summary>
    private static (byte[] rowMajor, byte[] file) Stl10Images(Random rng, int n)
    {
        const int s = 96;
        var rowMajor = new byte[n * 3 * s * s];
        rng.NextBytes(rowMajor);
        var file = new byte[rowMajor.Length];
        for (var i = 0; i < n; i++)
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < s; y++)
                    for (var x = 0; x < s; x++)
                        file[((i * 3 + c) * s + x) * s + y] = rowMajor[((i * 3 + c) * s + y) * s + x];
        return (rowMajor, file);
    }

    [Fact]
    public void Stl10_transposes_the_column_major_planes_and_shifts_labels_to_zero()
    {
        var (rowMajor, file) = Stl10Images(new Random(4), 3);
        // A known value at a known place, written straight into the column-major file:
        // image 1, channel 2, row 3, column 10 sits at byte ((1 * 3 + 2) * 96 + 10) * 96 + 3.
        file[((1 * 3 + 2) * 96 + 10) * 96 + 3] = 250;
        file[((1 * 3 + 2) * 96 + 3) * 96 + 10] = 5;
        rowMajor[((1 * 3 + 2) * 96 + 3) * 96 + 10] = 250;
        rowMajor[((1 * 3 + 2) * 96 + 10) * 96 + 3] = 5;
        Write("stl10_binary/train_X.bin", file);
        Write("stl10_binary/train_y.bin", [1, 10, 4]);
        using var set = Create("stl10", ("Root", dir)).Load("train");
        set.Images.shape.Should().Equal(3, 3, 96, 96);
        set.Classes.Should().Be(10);
        set.Labels!.data<long>().Should().Equal(0, 9, 3);
        var image1 = set.Images.slice(0, 1, 2).data<byte>();
        Pixel(image1, 96, 2, 3, 10).Should().Be(250, "(channel 2, y 3, x 10) was written as 250");
        Pixel(image1, 96, 2, 10, 3).Should().Be(5);
        set.Images.data<byte>().Should().Equal(rowMajor);
    }

    [Fact]
    public void Stl10_unlabeled_split_has_no_labels_and_resizes_on_load()
    {
        var (rowMajor, file) = Stl10Images(new Random(5), 4);
        Write("stl10_binary/unlabeled_X.bin", file);
        using var set = Create("stl10", ("Root", dir), ("Limit", 3)).Load("unlabeled");
        set.Labels.Should().BeNull();
        set.Classes.Should().Be(0);
        set.Count.Should().Be(3);

        // Shrinking is antialiased: each output pixel weighs 4 x 4 source pixels (1, 3, 3, 1 per axis).
        using var half = Create("stl10", ("Root", dir), ("Size", 48)).Load("unlabeled");
        half.Images.shape.Should().Equal(4, 3, 48, 48);
        var got = half.Images.data<byte>();
        var worst = 0.0;
        var fromMean = 0.0;
        for (var p = 0; p < 4 * 3; p++)
        {
            var expected = AntialiasedPlane((yy, xx) => rowMajor[(p * 96 + yy) * 96 + xx], 96, 96, 48);
            for (var y = 0; y < 48; y++)
                for (var x = 0; x < 48; x++)
                {
                    int At(int yy, int xx) => rowMajor[(p * 96 + yy) * 96 + xx];
                    var mean = (At(2 * y, 2 * x) + At(2 * y, 2 * x + 1) + At(2 * y + 1, 2 * x) + At(2 * y + 1, 2 * x + 1)) / 4.0;
                    worst = Math.Max(worst, Math.Abs(got[(p * 48 + y) * 48 + x] - expected[y * 48 + x]));
                    fromMean = Math.Max(fromMean, Math.Abs(got[(p * 48 + y) * 48 + x] - mean));
                }
        }
        fromMean.Should().BeGreaterThan(10, "random pixels: the antialiased filter is not plain bilinear's 2x2 mean");
        worst.Should().BeLessThanOrEqualTo(0.5 + 1e-3, "the resized pixel is the antialiased one up to rounding");
    }

    [Fact]
    public void Stl10_names_the_missing_truncated_or_foreign_file()
    {
        var missing = () => Create("stl10", ("Root", dir)).Load("test");
        missing.Should().Throw<FileNotFoundException>()
            .WithMessage($"stl10: expected {Path.Combine(dir, "stl10_binary", "test_X.bin")} (STL-10 binary version*column-major*");

        var (_, file) = Stl10Images(new Random(6), 2);
        var x = Write("stl10_binary/test_X.bin", file[..^1]);
        var truncated = () => Create("stl10", ("Root", dir)).Load("test");
        truncated.Should().Throw<InvalidDataException>().WithMessage($"stl10: {x} is truncated*27,648-byte records*");

        Write("stl10_binary/test_X.bin", file);
        var noLabels = () => Create("stl10", ("Root", dir)).Load("test");
        noLabels.Should().Throw<FileNotFoundException>().WithMessage($"stl10: expected {Path.Combine(dir, "stl10_binary", "test_y.bin")}*label byte 1..10*");

        var y = Write("stl10_binary/test_y.bin", [3]);
        var mismatch = () => Create("stl10", ("Root", dir)).Load("test");
        mismatch.Should().Throw<InvalidDataException>().WithMessage($"stl10: {y} holds 1 labels but*2 images*");

        // Labels are 1-based; a 0 means the file is not STL-10's.
        Write("stl10_binary/test_y.bin", [3, 0]);
        var zero = () => Create("stl10", ("Root", dir)).Load("test");
        zero.Should().Throw<InvalidDataException>().WithMessage($"stl10: {y} byte 1 is label 0, outside 1..10*");
    }

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

    // ---------------------------------------------------------------- image-folder

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
}
