using System.Buffers.Binary;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

/// <summary>
/// The cifar and stl10 datasets on small files written here in the real formats: the
/// expected pixels are placed by the published layouts, independently of the readers.
/// </summary>
public class ImageDatasetTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("replab-images-").FullName;
    private static readonly Lazy<PluginRegistry> Registry = new(() => Repo.BuiltIns);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static IDataset Create(string name, params (string key, object value)[] settings)
    {
        var d = Registry.Value.Find(PluginKind.Dataset, name)!;
        var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        foreach (var (key, value) in settings)
        {
            var p = d.OptionsType.GetProperty(key)!;
            // Enum options (variant, labels) are given by member name so the test needs no plugin type.
            p.SetValue(options, value is string s && p.PropertyType.IsEnum ? Enum.Parse(p.PropertyType, s, ignoreCase: true) : value);
        }
        return Registry.Value.Create<IDataset>(name, options);
    }

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

        // Halving with bilinear (align_corners false) samples midway between pixel pairs: a 2x2 mean.
        using var half = Create("stl10", ("Root", dir), ("Size", 48)).Load("unlabeled");
        half.Images.shape.Should().Equal(4, 3, 48, 48);
        var got = half.Images.data<byte>();
        var worst = 0.0;
        for (var p = 0; p < 4 * 3; p++)
            for (var y = 0; y < 48; y++)
                for (var x = 0; x < 48; x++)
                {
                    int At(int yy, int xx) => rowMajor[(p * 96 + yy) * 96 + xx];
                    var mean = (At(2 * y, 2 * x) + At(2 * y, 2 * x + 1) + At(2 * y + 1, 2 * x) + At(2 * y + 1, 2 * x + 1)) / 4.0;
                    worst = Math.Max(worst, Math.Abs(got[(p * 48 + y) * 48 + x] - mean));
                }
        worst.Should().BeLessThanOrEqualTo(0.5, "the resized pixel is the 2x2 mean up to rounding");
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
}
