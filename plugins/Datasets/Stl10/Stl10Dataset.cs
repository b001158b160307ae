using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Datasets.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.Stl10;

/// <summary>Options of the <c>stl10</c> dataset.</summary>
public sealed record Stl10Options : PluginOptions
{
    /// <summary>
    /// Folder holding the unpacked binary version's <c>stl10_binary/</c> (train_X.bin, train_y.bin,
    /// test_X.bin, test_y.bin, unlabeled_X.bin). Default /usr/share/datasets/stl10, beside Debian's Fashion-MNIST.
    /// </summary>
    public string Root { get; init; } = "/usr/share/datasets/stl10";

    /// <summary>
    /// Side length to resize to on load, in pixels (0: keep 96; default 0). Bilinear, antialiased when
    /// shrinking, as torchvision's Resize.
    /// </summary>
    [Range(0, 1024)]
    public int Size { get; init; }

    /// <summary>Use only the first N images of each split (0: all; the unlabeled split holds 100,000, 2.8 GB at 96x96).</summary>
    [Range(0, int.MaxValue)]
    public int Limit { get; init; }
}

/// <summary>
/// STL-10, binary version (Coates, Lee and Ng, 2011): 96x96 RGB, 10 classes; splits train (5,000),
/// test (8,000) and unlabeled (100,000, no labels). Each image is stored as three 96x96 planes in
/// column-major order, which the reader transposes to row-major. Nothing is downloaded; a missing or
/// malformed file is an error naming it and its format.
/// </summary>
[Plugin("stl10", Summary = "STL-10 binary version (stl10_binary), with the 100,000-image unlabeled split")]
public sealed class Stl10Dataset(Stl10Options options) : IDataset
{
    private const int Side = 96, ImageBytes = 3 * Side * Side, Classes = 10;
    private const string Hint = "download the binary version from https://cs.stanford.edu/~acoates/stl10/ and unpack it there";

    public IReadOnlyList<string> Splits { get; } = ["train", "test", "unlabeled"];

    private string Folder => Path.Combine(options.Root, "stl10_binary");

    /// <summary>The split's images file and, but for unlabeled, its labels file.</summary>
    public IReadOnlyList<string> SourceOf(string split) =>
        split == "unlabeled" ? [Path.Combine(Folder, "unlabeled_X.bin")] : [Path.Combine(Folder, $"{split}_X.bin"), Path.Combine(Folder, $"{split}_y.bin")];

    public ImageSet Load(string split)
    {
        if (split is not ("train" or "test" or "unlabeled"))
            throw new ArgumentException($"stl10 has no split '{split}' (train, test, unlabeled)");
        var folder = Folder;
        var xPath = Path.Combine(folder, $"{split}_X.bin");
        var xFormat = "STL-10 binary version: uint8 images of 3 x 96 x 96 bytes, each channel column-major";
        var count = RecordFile.Count(xPath, ImageBytes, "stl10", xFormat, Hint);
        var n = options.Limit > 0 ? Math.Min(options.Limit, count) : count;

        Tensor? labels = null;
        if (split != "unlabeled")
        {
            var yPath = Path.Combine(folder, $"{split}_y.bin");
            var yFormat = $"STL-10 binary version: one label byte 1..10 per image of {split}_X.bin";
            var labelCount = RecordFile.Count(yPath, 1, "stl10", yFormat, Hint);
            if (labelCount != count)
                throw new InvalidDataException($"stl10: {yPath} holds {labelCount:N0} labels but {xPath} holds {count:N0} images ({yFormat})");
            var raw = new byte[n];
            RecordFile.Read(yPath, raw);
            var values = new long[n];
            for (var i = 0; i < n; i++)
            {
                if (raw[i] is < 1 or > Classes)
                    throw new InvalidDataException($"stl10: {yPath} byte {i} is label {raw[i]}, outside 1..10 ({yFormat})");
                values[i] = raw[i] - 1;
            }
            labels = torch.tensor<long>(values);
        }

        var size = options.Size > 0 ? options.Size : Side;
        var images = torch.empty([n, 3, size, size], ScalarType.UInt8);
        // Read in chunks: the unlabeled split (2.8 GB) exceeds a .NET array, and the resize works per chunk.
        const int chunk = 2000;
        var buffer = new byte[(long)Math.Min(chunk, n) * ImageBytes];
        using (var stream = DataFile.OpenRead(xPath, "stl10", 1 << 20))
            for (long i = 0; i < n; i += chunk)
            {
                using var scope = torch.NewDisposeScope();
                var k = (int)Math.Min(chunk, n - i);
                var bytes = buffer.AsSpan(0, k * ImageBytes);
                stream.ReadExactly(bytes);
                // Each plane is stored x-major ([c][x][y]); swapping the last two axes gives row-major [c][y][x].
                var rowMajor = torch.tensor<byte>(bytes, [k, 3, Side, Side]).transpose(2, 3).contiguous();
                var sized = size == Side ? rowMajor : Resize.Bilinear(rowMajor, size);
                images.slice(0, i, i + k).copy_(sized);
            }
        return new ImageSet(images, labels, split == "unlabeled" ? 0 : Classes, $"stl10/{split}")
            { ClassNames = split == "unlabeled" ? null : ClassNameFile.Read(Path.Combine(folder, "class_names.txt"), Classes) };
    }
}
