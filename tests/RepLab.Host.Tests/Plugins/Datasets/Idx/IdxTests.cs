using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using FluentAssertions;
using RepLab.Abstractions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Datasets.DatasetKit;

namespace RepLab.Host.Tests.Plugins.Datasets.Idx;

public class IdxTests() : DatasetFiles("replab-idx-")
{
    private void WriteIdx(string name, byte[] data, int[] dims, bool gzip = true, int? truncateTo = null)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), (uint)dims[i]);
        var bytes = header.Concat(data).ToArray();
        if (truncateTo is { } t) bytes = bytes[..t];
        var path = Path.Combine(dir, name + (gzip ? ".gz" : ""));
        using var f = File.Create(path);
        using Stream s = gzip ? new GZipStream(f, CompressionLevel.Fastest) : f;
        s.Write(bytes);
    }

    [Fact]
    public void Idx_reads_gzip_and_plain_files_in_the_mnist_layout()
    {
        var pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)i).ToArray();
        WriteIdx("t10k-images-idx3-ubyte", pixels, [3, 4, 5]);
        WriteIdx("t10k-labels-idx1-ubyte", [7, 0, 9], [3], gzip: false);
        using var set = Create("idx", ("Root", dir)).Load("test");
        set.Images.shape.Should().Equal(3, 1, 4, 5);
        set.Images.data<byte>().Should().Equal(pixels);
        set.Labels!.data<long>().Should().Equal(7, 0, 9);
        using var limited = Create("idx", ("Root", dir), ("Limit", 2)).Load("test");
        limited.Count.Should().Be(2);
    }

    [Fact]
    public void Idx_declares_its_image_shape_from_the_header_alone_and_nothing_when_the_file_is_missing()
    {
        var dataset = Create("idx", ("Root", dir));
        dataset.ShapeOf("train").Should().BeNull("no file yet");
        WriteIdx("train-images-idx3-ubyte", new byte[2 * 4 * 5], [2, 4, 5]);
        WriteIdx("t10k-images-idx3-ubyte", [], [7, 6, 3], gzip: false, truncateTo: 16);
        dataset.ShapeOf("train").Should().Be(new ImageShape(1, 4, 5));
        dataset.ShapeOf("test").Should().Be(new ImageShape(1, 6, 3), "the header is enough, even of a truncated file");
    }

    [Fact]
    public void Idx_names_the_missing_or_broken_file()
    {
        var missing = () => Create("idx", ("Root", dir)).Load("train");
        missing.Should().Throw<FileNotFoundException>().WithMessage($"*{Path.Combine(dir, "train-images-idx3-ubyte")}.gz*dataset-fashion-mnist*");

        WriteIdx("train-images-idx3-ubyte", new byte[10], [2, 4, 5], truncateTo: 20);
        WriteIdx("train-labels-idx1-ubyte", [1, 2], [2]);
        var truncated = () => Create("idx", ("Root", dir)).Load("train");
        truncated.Should().Throw<InvalidDataException>().WithMessage("*train-images-idx3-ubyte.gz: truncated*");

        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), [1, 2, 3, 4]);
        var notGzip = () => Create("idx", ("Root", dir)).Load("train");
        notGzip.Should().Throw<InvalidDataException>().WithMessage("*train-images-idx3-ubyte.gz*");
    }

    [Fact]
    public void Idx_names_the_label_file_index_and_value_of_a_label_outside_the_classes()
    {
        WriteIdx("t10k-images-idx3-ubyte", new byte[3 * 2 * 2], [3, 2, 2]);
        // EMNIST letters: labels 1..26.
        WriteIdx("t10k-labels-idx1-ubyte", [1, 26, 5], [3]);
        var labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
        var tooFew = () => Create("idx", ("Root", dir), ("Classes", 26)).Load("test");
        tooFew.Should().Throw<InvalidDataException>().WithMessage($"{labels}: label 1 is 26, outside 0..25 for classes: 26 (*classes: N + 1)");
        // Labels past the limit are checked too: the file is wrong whatever part of it a run reads.
        var limited = () => Create("idx", ("Root", dir), ("Classes", 26), ("Limit", 1)).Load("test");
        limited.Should().Throw<InvalidDataException>().WithMessage($"{labels}: label 1 is 26*");
        using var set = Create("idx", ("Root", dir), ("Classes", 27)).Load("test");
        set.Labels!.data<long>().Should().Equal(1, 26, 5);
    }

    [Fact]
    public void Idx_names_a_file_cut_inside_its_header()
    {
        WriteIdx("train-images-idx3-ubyte", new byte[2 * 4 * 5], [2, 4, 5], truncateTo: 10);
        WriteIdx("train-labels-idx1-ubyte", [1, 2], [2]);
        var cut = () => Create("idx", ("Root", dir)).Load("train");
        cut.Should().Throw<InvalidDataException>()
            .WithMessage($"{Path.Combine(dir, "train-images-idx3-ubyte.gz")}: truncated: the header of an IDX file with 3 dimension(s) is 16 bytes (*), file holds 10");
    }

    [Fact]
    public void Idx_names_both_files_when_their_counts_differ_and_refuses_a_damaged_size()
    {
        WriteIdx("train-images-idx3-ubyte", new byte[3 * 2 * 2], [3, 2, 2]);
        WriteIdx("train-labels-idx1-ubyte", [1, 2], [2]);
        var mismatch = () => Create("idx", ("Root", dir)).Load("train");
        mismatch.Should().Throw<InvalidDataException>().WithMessage(
            $"{Path.Combine(dir, "train-labels-idx1-ubyte.gz")}: holds 2 labels but {Path.Combine(dir, "train-images-idx3-ubyte.gz")} holds 3 images*");
        WriteIdx("train-labels-idx1-ubyte", [], [-5]);
        var huge = () => Create("idx", ("Root", dir)).Load("train");
        huge.Should().Throw<InvalidDataException>().WithMessage("*train-labels-idx1-ubyte.gz: dimension 0 of the IDX header is 4,294,967,291*damaged header*");
        // Sizes each within range whose product overflows a long: still a truncation, not a crash.
        WriteIdx("train-images-idx3-ubyte", new byte[8], [1 << 21, 1 << 21, 1 << 21]);
        var overflow = () => Create("idx", ("Root", dir)).Load("train");
        overflow.Should().Throw<InvalidDataException>().WithMessage("*train-images-idx3-ubyte.gz: truncated: header promises 9,223,372,036,854,775,808 bytes of data (2097152 x 2097152 x 2097152), file holds 8");
    }

    [Fact]
    public void A_truncated_idx_file_states_the_byte_count_its_header_promises()
    {
        // 60000 x 28 x 28 promised, 100 bytes there: the message gives the whole product, not the running one.
        WriteIdx("train-images-idx3-ubyte", new byte[100], [60000, 28, 28]);
        WriteIdx("train-labels-idx1-ubyte", [1], [1]);
        var cut = () => Create("idx", ("Root", dir)).Load("train");
        cut.Should().Throw<InvalidDataException>().WithMessage("*: truncated: header promises 47,040,000 bytes of data (60000 x 28 x 28), file holds 100");
    }

    [Theory]
    [InlineData("Limit", -1)]
    [InlineData("Classes", 0)]
    [InlineData("Classes", 257)]
    public void Idx_options_reject_out_of_range_limit_and_classes(string key, int value)
    {
        var options = BuiltIn.Options(PluginKind.Dataset, "idx", (key, value));
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true).Should().BeFalse();
        results.SelectMany(r => r.MemberNames).Should().Equal(key);
    }

    [Fact]
    public void Idx_names_the_images_and_labels_files_of_each_split_as_its_source()
    {
        WriteIdx("train-images-idx3-ubyte", new byte[2 * 4 * 5], [2, 4, 5]);
        WriteIdx("train-labels-idx1-ubyte", [1, 2], [2], gzip: false);
        var dataset = Create("idx", ("Root", dir));
        dataset.SourceOf("train").Should().Equal(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte"));
        dataset.Invoking(d => d.SourceOf("valid")).Should().Throw<ArgumentException>().WithMessage("*no split 'valid'*");
    }
}
