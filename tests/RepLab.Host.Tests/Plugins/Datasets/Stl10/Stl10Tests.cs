using FluentAssertions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Datasets.DatasetKit;

namespace RepLab.Host.Tests.Plugins.Datasets.Stl10;

/// <summary>
/// The stl10 dataset on small files written here in the real format: the
/// expected pixels are placed by the published layout, independently of the reader.
/// </summary>
public class Stl10Tests() : DatasetFiles("replab-images-")
{
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

    [Fact]
    public void Stl10_names_its_split_files_as_the_source_and_its_classes_from_class_names_txt()
    {
        var dataset = Create("stl10", ("Root", dir));
        var folder = Path.Combine(dir, "stl10_binary");
        dataset.SourceOf("test").Should().Equal(Path.Combine(folder, "test_X.bin"), Path.Combine(folder, "test_y.bin"));
        dataset.SourceOf("unlabeled").Should().Equal(Path.Combine(folder, "unlabeled_X.bin"));

        var (_, file) = Stl10Images(new Random(6), 1);
        Write("stl10_binary/test_X.bin", file);
        Write("stl10_binary/test_y.bin", [2]);
        Write("stl10_binary/class_names.txt", System.Text.Encoding.ASCII.GetBytes("airplane\nbird\ncar\n"));
        using (var wrong = dataset.Load("test")) wrong.ClassNames.Should().BeNull("three names for ten classes describe nothing");
        string[] names = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"];
        Write("stl10_binary/class_names.txt", System.Text.Encoding.ASCII.GetBytes(string.Join("\n", names)));
        using var named = dataset.Load("test");
        named.ClassNames.Should().Equal(names);
    }
}
