using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using RepLab.Abstractions;
using RepLab.Plugins.Datasets.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>How image-folder makes a non-square image square.</summary>
public enum ImageFit
{
    /// <summary>The central square, resized.</summary>
    CenterCrop,

    /// <summary>The whole image resized to a square, changing its aspect ratio.</summary>
    Stretch,
}

/// <summary>Options of the <c>image-folder</c> dataset.</summary>
public sealed record ImageFolderOptions : PluginOptions
{
    /// <summary>
    /// Folder with one subfolder per class holding PNG or JPEG files (or, with split-folders, train/ and
    /// test/ each holding the class subfolders). Default /usr/share/datasets/image-folder.
    /// </summary>
    public string Root { get; init; } = "/usr/share/datasets/image-folder";

    /// <summary>
    /// Side length in pixels of the square every image becomes (default 64): bilinear, antialiased when
    /// shrinking, as torchvision's Resize.
    /// </summary>
    [Range(1, 1024)]
    public int Size { get; init; } = 64;

    /// <summary>
    /// How a non-square image becomes a square: <c>center-crop</c> takes its central square and resizes
    /// that (torchvision's <c>Resize(size)</c> then <c>CenterCrop(size)</c>, up to a sub-pixel offset),
    /// <c>stretch</c> resizes the whole image, changing its aspect ratio (default center-crop).
    /// </summary>
    public ImageFit Fit { get; init; } = ImageFit.CenterCrop;

    /// <summary>
    /// Use only N images of each split, spread evenly over the sorted file list so that every class
    /// keeps its share (0: all; default 0).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int Limit { get; init; }

    /// <summary>
    /// Channels: 1 (gray: gray files keep their levels, colour files become BT.601 luma exactly as
    /// Pillow's <c>convert("L")</c> computes it) or 3 (RGB) (default 3).
    /// </summary>
    [Range(1, 3)]
    public int Channels { get; init; } = 3;

    /// <summary>
    /// Keep the decoded uint8 tensor in <c>&lt;folder&gt;/.replab-cache-&lt;size&gt;-&lt;channels&gt;-&lt;fit&gt;[-limit&lt;N&gt;].safetensors</c>
    /// and reuse it while it is newer than every image and the file list (names and sizes) is unchanged
    /// (default false). A cache that cannot be read is rebuilt; a folder that cannot be written to
    /// leaves the set uncached.
    /// </summary>
    public bool Cache { get; init; }

    /// <summary>Splits come from the train/ and test/ subfolders of root (default false: one train split of everything).</summary>
    public bool SplitFolders { get; init; }

    /// <summary>
    /// Largest image accepted, in pixels (width x height, read from the file's header before
    /// decoding): a small file can claim a huge image and decode to gigabytes (default 40,000,000).
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; init; } = 40_000_000;
}

/// <summary>
/// A folder of PNG and JPEG images, one subfolder per class (class index = position of the folder name in
/// ordinal sorted order, as torchvision's ImageFolder). Decoded with libpng and libjpeg-turbo on every
/// core, made square and resized on load. Splits: train (everything), or train and test from subfolders.
/// </summary>
[Plugin("image-folder", Summary = "PNG/JPEG images in one folder per class, decoded by libpng and libjpeg-turbo")]
public sealed class ImageFolderDataset : IDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    private readonly ImageFolderOptions options;

    public ImageFolderDataset(ImageFolderOptions options)
    {
        if (options.Channels is not (1 or 3)) throw new ArgumentException($"image-folder: channels must be 1 or 3, not {options.Channels}");
        this.options = options;
        Splits = options.SplitFolders ? ["train", "test"] : ["train"];
    }

    public IReadOnlyList<string> Splits { get; }

    /// <summary>The split's folder (root, or its train/ or test/ with split-folders).</summary>
    public IReadOnlyList<string> SourceOf(string split) => [Folder(split)];

    private string Folder(string split) => options.SplitFolders ? Path.Combine(options.Root, split) : options.Root;

    public ImageSet Load(string split)
    {
        if (!Splits.Contains(split))
            throw new ArgumentException($"image-folder has no split '{split}' ({string.Join(", ", Splits)}{(options.SplitFolders ? "" : "; set split-folders: true for train/ and test/ subfolders")})");
        var folder = Folder(split);
        var layout = options.SplitFolders
            ? $"{options.Root}/train/<class>/*.png|jpg and {options.Root}/test/<class>/*.png|jpg"
            : $"{options.Root}/<class>/*.png|jpg";
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"image-folder: expected the folder {folder} (one subfolder of PNG or JPEG images per class: {layout})");
        var classes = Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)).Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        var files = classes
            .SelectMany((c, i) => Directory.EnumerateFiles(Path.Combine(folder, c!), "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal)
                .Select(f => (path: f, label: (long)i)))
            .ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"image-folder: expected PNG or JPEG images in {folder} (one subfolder per class: {layout}); found none", folder);
        if (options.Limit > 0 && options.Limit < files.Length)
            files = Enumerable.Range(0, options.Limit).Select(i => files[(long)i * files.Length / options.Limit]).ToArray();

        var name = $"image-folder/{split}";
        var fit = options.Fit == ImageFit.CenterCrop ? "center-crop" : "stretch";
        var cachePath = Path.Combine(folder, $".replab-cache-{options.Size}-{options.Channels}-{fit}{(options.Limit > 0 ? $"-limit{options.Limit}" : "")}.safetensors");
        var listing = Listing(folder, classes!, files.Select(f => f.path));
        if (options.Cache && TryCache(cachePath, listing, files.Select(f => f.path), classes, name) is { } cached) return cached;

        var s = options.Size;
        var images = torch.empty([files.Length, options.Channels, s, s], ScalarType.UInt8);
        var errors = new Exception?[files.Length];
        Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, loop) =>
        {
            try
            {
                using var scope = torch.NewDisposeScope();
                images.slice(0, i, i + 1).copy_(Square(Decode(files[i].path)));
            }
            catch (Exception e)
            {
                errors[i] = e;
                loop.Stop();
            }
        });
        // The first broken file in list order, whichever thread met it first.
        if (errors.FirstOrDefault(e => e is not null) is { } error) ExceptionDispatchInfo.Throw(error);
        var labels = torch.tensor<long>(files.Select(f => f.label).ToArray());
        if (options.Cache)
        {
            try
            {
                // Atomic (a temporary file renamed over the old cache): a kill leaves the old cache or none.
                Safetensors.Save(cachePath, new Dictionary<string, Tensor> { ["images"] = images, ["labels"] = labels },
                    new Dictionary<string, string> { ["listing"] = listing, ["classes"] = JsonSerializer.Serialize(classes) });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only data folder: the decoded set is still good, only uncached.
            }
        }
        return new ImageSet(images, labels, classes.Length, name) { ClassNames = classes };
    }

    /// <summary>Interleaved H, W, C pixels as [1, C, size, size]: the central square or the whole image, resized.</summary>
    private Tensor Square((byte[] Pixels, int Width, int Height) decoded)
    {
        var (pixels, w, h) = decoded;
        var chw = torch.tensor<byte>(pixels, [1, h, w, options.Channels]).permute(0, 3, 1, 2);
        if (options.Fit == ImageFit.CenterCrop && w != h)
        {
            // torchvision's CenterCrop offset: round((side - crop) / 2), halves to even as Python's round.
            var side = Math.Min(w, h);
            chw = chw.narrow(2, (long)Math.Round((h - side) / 2.0), side).narrow(3, (long)Math.Round((w - side) / 2.0), side);
        }
        return Resize.Bilinear(chw.contiguous(), options.Size);
    }

    private (byte[] pixels, int width, int height) Decode(string path)
    {
        var data = DataFile.ReadAllBytes(path, "image-folder");
        if (PngDecoder.IsPng(data)) return PngDecoder.Decode(data, options.Channels, path, options.MaxPixels);
        if (JpegDecoder.IsJpeg(data)) return JpegDecoder.Decode(data, options.Channels, path, options.MaxPixels);
        throw new InvalidDataException($"image-folder: {path}: neither a PNG nor a JPEG file (its first bytes are not a PNG or JPEG signature)");
    }

    /// <summary>Names what decoding makes of a file; a new name makes the caches written before it stale.</summary>
    private const string Decoding = "decoding 2: colour to gray as Pillow's convert(\"L\")";

    /// <summary>
    /// A hash of the decoding, the class names and the relative paths and sizes of the images: a cache
    /// of another file list is stale even if older files remain, and so is one of a file replaced by a
    /// copy that kept an old time stamp but not the size.
    /// </summary>
    private static string Listing(string folder, IEnumerable<string> classes, IEnumerable<string> files)
    {
        var text = Decoding + "\n\n" + string.Join('\n', classes) + "\n\n" + string.Join('\n', files.Select(f => $"{Path.GetRelativePath(folder, f)}\t{new FileInfo(f).Length}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static ImageSet? TryCache(string cachePath, string listing, IEnumerable<string> files, string[] classes, string name)
    {
        if (!File.Exists(cachePath)) return null;
        var written = File.GetLastWriteTimeUtc(cachePath);
        if (files.Any(f => File.GetLastWriteTimeUtc(f) >= written)) return null;
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> metadata;
        try
        {
            (tensors, metadata) = Safetensors.Load(cachePath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;  // unreadable (a foreign or damaged file): decode again and write it anew
        }
        if (!metadata.TryGetValue("listing", out var l) || l != listing || !tensors.ContainsKey("images") || !tensors.ContainsKey("labels"))
        {
            foreach (var t in tensors.Values) t.Dispose();
            return null;
        }
        return new ImageSet(tensors["images"], tensors["labels"], classes.Length, name) { ClassNames = classes };
    }
}
