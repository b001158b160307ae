using FluentAssertions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Datasets.DatasetKit;

namespace RepLab.Host.Tests.Plugins.Datasets.Cifar;

/// <summary>
/// The cifar dataset on small files written here in the real format: the
/// expected pixels are placed by the published layout, independently of the reader.
/// </summary>
public class CifarTests() : DatasetFiles("replab-images-")
{
    /// <summary>Random pixels [n, 3, 32, 32] (row-major C, H, W) and records: label bytes, then R, G, B planes.</summary>
    private static (byte[][] pixels, byte[] file) CifarRecords(Random rng, byte[][] labels)
    {
        var pixels = labels.Select(_ => { var p = new byte[3 * 32 * 32]; rng.NextBytes(p); return p; }).ToArray();
        var file = labels.Zip(pixels, (l, p) => l.Concat(p)).SelectMany(b => b).ToArray();
        return (pixels, file);
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

    [Fact]
    public void Cifar_names_its_record_files_as_the_source_and_its_classes_from_the_label_names_file()
    {
        var dataset = Create("cifar", ("Root", dir));
        dataset.SourceOf("train").Should().Equal(Enumerable.Range(1, 5).Select(b => Path.Combine(dir, "cifar-10-batches-bin", $"data_batch_{b}.bin")));
        Create("cifar", ("Root", dir), ("Variant", "cifar100")).SourceOf("test").Should().Equal(Path.Combine(dir, "cifar-100-binary", "test.bin"));

        var (_, file) = CifarRecords(new Random(3), [[1], [2]]);
        Write("cifar-10-batches-bin/test_batch.bin", file);
        using (var unnamed = dataset.Load("test")) unnamed.ClassNames.Should().BeNull("no batches.meta.txt beside the records");
        string[] names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        Write("cifar-10-batches-bin/batches.meta.txt", System.Text.Encoding.ASCII.GetBytes(string.Join("\n", names) + "\n\n"));
        using var named = dataset.Load("test");
        named.ClassNames.Should().Equal(names, "the file's lines, the trailing blank ones skipped");
    }
}
