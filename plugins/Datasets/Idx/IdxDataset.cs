using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.Idx;

/// <summary>Options of the <c>idx</c> dataset.</summary>
public sealed record IdxOptions : PluginOptions
{
    /// <summary>
    /// Folder holding MNIST-format files (<c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>,
    /// <c>t10k-...</c>). Default: Fashion-MNIST from Debian's dataset-fashion-mnist package.
    /// </summary>
    public string Root { get; init; } = "/usr/share/datasets/fashion-mnist";

    /// <summary>Use only the first N images of each split (0: all; default 0); for quick runs and tests.</summary>
    [Range(0, int.MaxValue)]
    public int Limit { get; init; }

    /// <summary>
    /// Number of classes: every label must lie in 0..classes - 1 (default 10; labels are bytes, so at most
    /// 256). A set whose labels count from 1, such as EMNIST letters (1..26), needs one more.
    /// </summary>
    [Range(1, 256)]
    public int Classes { get; init; } = 10;
}

/// <summary>
/// MNIST-format (IDX) images and labels, gzip-compressed or not: MNIST, Fashion-MNIST, KMNIST.
/// Splits: train and test (<c>t10k</c> files). Nothing is downloaded; a missing or malformed
/// file is an error that names it and the format expected.
/// </summary>
[Plugin("idx", Summary = "MNIST-format (IDX) files, e.g. Fashion-MNIST from dataset-fashion-mnist")]
public sealed class IdxDataset(IdxOptions options) : IDataset
{
    public IReadOnlyList<string> Splits { get; } = ["train", "test"];

    /// <summary>The split's images and labels files.</summary>
    public IReadOnlyList<string> SourceOf(string split) => [Find($"{Prefix(split)}-images-idx3-ubyte"), Find($"{Prefix(split)}-labels-idx1-ubyte")];

    private static string Prefix(string split) => split switch
    {
        "train" => "train",
        "test" => "t10k",
        _ => throw new ArgumentException($"idx has no split '{split}' (train, test)"),
    };

    public ImageSet Load(string split)
    {
        var prefix = Prefix(split);
        var imagePath = Find($"{prefix}-images-idx3-ubyte");
        var (images, shape) = Read(imagePath, 3);
        var labelPath = Find($"{prefix}-labels-idx1-ubyte");
        var (labels, labelShape) = Read(labelPath, 1);
        if (labelShape[0] != shape[0])
            throw new InvalidDataException($"{labelPath}: holds {labelShape[0]:N0} labels but {imagePath} holds {shape[0]:N0} images (IDX: one label per image)");
        // Every label, not only the first limit: a file that is wrong stays wrong when the limit is lifted.
        for (var i = 0; i < labels.Length; i++)
            if (labels[i] >= options.Classes)
                throw new InvalidDataException(
                    $"{labelPath}: label {i} is {labels[i]}, outside 0..{options.Classes - 1} for classes: {options.Classes} " +
                    "(labels are class indices from 0; for labels 1..N, such as EMNIST letters' 1..26, set classes: N + 1)");
        var n = options.Limit > 0 ? Math.Min(options.Limit, shape[0]) : shape[0];
        var pixels = torch.tensor<byte>(images.AsSpan(0, n * shape[1] * shape[2]), [n, 1, shape[1], shape[2]]);
        var labelValues = labels.AsSpan(0, n).ToArray().Select(b => (long)b).ToArray();
        return new ImageSet(pixels, torch.tensor<long>(labelValues), options.Classes, $"idx/{split}");
    }

    /// <summary>The image size from the images file's header (16 bytes, decompressed when gzipped); null when the file is missing or unreadable.</summary>
    public ImageShape? ShapeOf(string split)
    {
        try
        {
            var path = Find($"{(split == "test" ? "t10k" : "train")}-images-idx3-ubyte");
            using var file = File.OpenRead(path);
            using var stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            var header = new byte[16];
            stream.ReadExactly(header);
            return new ImageShape(1, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8)), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(12)));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string Find(string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = Path.Combine(options.Root, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"idx dataset: expected {Path.Combine(options.Root, name)}.gz (MNIST IDX format, gzip or plain); " +
            "for Fashion-MNIST install the Debian package dataset-fashion-mnist");
    }

    /// <summary>Reads an IDX file: magic 0x00 0x00 type dims, big-endian dimension sizes, then uint8 data.</summary>
    internal static (byte[] data, int[] shape) Read(string path, int expectedDims)
    {
        byte[] raw;
        DataFile.RequireRegular(path, "idx dataset");
        try
        {
            using var file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz") ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            raw = ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})");
        }
        if (raw.Length < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08 || raw[3] != expectedDims)
            throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes with {expectedDims} dimension(s)");
        var header = 4 + 4 * expectedDims;
        if (raw.Length < header)
            throw new InvalidDataException(
                $"{path}: truncated: the header of an IDX file with {expectedDims} dimension(s) is {header} bytes " +
                $"(magic, then one big-endian 32-bit size per dimension), file holds {raw.Length}");
        var shape = new int[expectedDims];
        for (var i = 0; i < expectedDims; i++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + 4 * i));
            if (size > int.MaxValue)
                throw new InvalidDataException($"{path}: dimension {i} of the IDX header is {size:N0}, more than this reader's {int.MaxValue:N0} (a damaged header?)");
            shape[i] = (int)size;
        }
        // The product of up to 4 sizes below 2^31 fits no long in general: counted exactly.
        var promised = shape.Aggregate(System.Numerics.BigInteger.One, (product, size) => product * size);
        if (raw.Length - header < promised)
            throw new InvalidDataException($"{path}: truncated: header promises {promised:N0} bytes of data ({string.Join(" x ", shape)}), file holds {raw.Length - header:N0}");
        var count = (long)promised;
        return (raw[header..(int)(header + count)], shape);
    }
}
