using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Datasets.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.Cifar;

/// <summary>Which CIFAR dataset.</summary>
public enum CifarVariant
{
    /// <summary>CIFAR-10: 10 classes, folder <c>cifar-10-batches-bin</c>.</summary>
    Cifar10,

    /// <summary>CIFAR-100: 100 fine or 20 coarse classes, folder <c>cifar-100-binary</c>.</summary>
    Cifar100,
}

/// <summary>Which CIFAR-100 label to use.</summary>
public enum CifarLabels
{
    /// <summary>The 100 fine classes.</summary>
    Fine,

    /// <summary>The 20 coarse superclasses.</summary>
    Coarse,
}

/// <summary>Options of the <c>cifar</c> dataset.</summary>
public sealed record CifarOptions : PluginOptions
{
    /// <summary>
    /// Folder holding the unpacked binary version: <c>cifar-10-batches-bin/</c> (data_batch_1..5.bin,
    /// test_batch.bin) or <c>cifar-100-binary/</c> (train.bin, test.bin). Default /usr/share/datasets/cifar,
    /// beside Debian's Fashion-MNIST.
    /// </summary>
    public string Root { get; init; } = "/usr/share/datasets/cifar";

    /// <summary>cifar10 or cifar100 (default cifar10).</summary>
    public CifarVariant Variant { get; init; } = CifarVariant.Cifar10;

    /// <summary>CIFAR-100 only: fine (100 classes) or coarse (20 superclasses) labels (default fine).</summary>
    public CifarLabels Labels { get; init; } = CifarLabels.Fine;

    /// <summary>Use only the first N images of each split (0: all); for quick runs and tests.</summary>
    [Range(0, int.MaxValue)]
    public int Limit { get; init; }
}

/// <summary>
/// CIFAR-10 and CIFAR-100, binary version (Krizhevsky, 2009): 32x32 RGB, each record its label
/// byte(s) then 1,024 red, 1,024 green and 1,024 blue bytes, row-major. Splits: train (50,000) and
/// test (10,000). Nothing is downloaded; a missing or malformed file is an error naming it and its format.
/// </summary>
[Plugin("cifar", Summary = "CIFAR-10 / CIFAR-100 binary version (cifar-10-batches-bin, cifar-100-binary)")]
public sealed class CifarDataset(CifarOptions options) : IDataset
{
    private const int Side = 32, Pixels = 3 * Side * Side;

    public IReadOnlyList<string> Splits { get; } = ["train", "test"];

    private string Folder => Path.Combine(options.Root, options.Variant == CifarVariant.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary");

    /// <summary>The split's record files.</summary>
    public IReadOnlyList<string> SourceOf(string split) => Files(split).Select(f => Path.Combine(Folder, f)).ToArray();

    private string[] Files(string split) => (options.Variant == CifarVariant.Cifar10, split) switch
    {
        (_, not ("train" or "test")) => throw new ArgumentException($"cifar has no split '{split}' (train, test)"),
        (true, "train") => Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray(),
        (true, _) => ["test_batch.bin"],
        (false, "train") => ["train.bin"],
        _ => ["test.bin"],
    };

    /// <summary>The label names the binary version ships beside its records, one a line.</summary>
    private string NamesFile => Path.Combine(Folder, options.Variant == CifarVariant.Cifar10 ? "batches.meta.txt"
        : options.Labels == CifarLabels.Fine ? "fine_label_names.txt" : "coarse_label_names.txt");

    public ImageSet Load(string split)
    {
        var files = Files(split);
        var ten = options.Variant == CifarVariant.Cifar10;
        var folder = Folder;
        var labelBytes = ten ? 1 : 2;
        var record = labelBytes + Pixels;
        var perFile = ten ? "10,000 records" : split == "train" ? "50,000 records" : "10,000 records";
        var format = ten
            ? $"CIFAR-10 binary version: {perFile} of 1 label byte + 3,072 pixel bytes"
            : $"CIFAR-100 binary version: {perFile} of 2 label bytes (coarse, fine) + 3,072 pixel bytes";
        var hint = $"download the binary version from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it in {options.Root}";

        var paths = files.Select(f => Path.Combine(folder, f)).ToArray();
        var counts = paths.Select(p => RecordFile.Count(p, record, "cifar", format, hint)).ToArray();
        var total = counts.Sum();
        var n = options.Limit > 0 ? Math.Min(options.Limit, total) : total;

        var pixels = new byte[n * Pixels];
        var labels = new long[n];
        var classes = ten ? 10 : options.Labels == CifarLabels.Fine ? 100 : 20;
        // CIFAR-100 records start with the coarse label, then the fine one.
        var labelOffset = ten || options.Labels == CifarLabels.Coarse ? 0 : 1;
        long done = 0;
        var buffer = new byte[record * 1000];
        for (var f = 0; f < paths.Length && done < n; f++)
        {
            using var stream = DataFile.OpenRead(paths[f], "cifar", 1 << 20);
            for (long r = 0; r < counts[f] && done < n;)
            {
                var take = (int)Math.Min(Math.Min(1000, counts[f] - r), n - done);
                stream.ReadExactly(buffer.AsSpan(0, take * record));
                for (var i = 0; i < take; i++)
                {
                    var rec = buffer.AsSpan(i * record, record);
                    var label = rec[labelOffset];
                    if (label >= classes)
                        throw new InvalidDataException(
                            $"cifar: {paths[f]} record {r + i} has label {label}, outside 0..{classes - 1}: not in the expected format ({format})");
                    labels[done + i] = label;
                    // The record's planes are already C, H, W in row-major order: the layout of a [3, 32, 32] tensor.
                    rec[labelBytes..].CopyTo(pixels.AsSpan((int)((done + i) * Pixels), Pixels));
                }
                r += take;
                done += take;
            }
        }
        var images = torch.tensor<byte>(pixels, [n, 3, Side, Side]);
        var name = (ten ? "cifar10" : options.Labels == CifarLabels.Fine ? "cifar100" : "cifar100-coarse") + "/" + split;
        return new ImageSet(images, torch.tensor<long>(labels), classes, name) { ClassNames = ClassNameFile.Read(NamesFile, classes) };
    }
}
