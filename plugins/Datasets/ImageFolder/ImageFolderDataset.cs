using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RepLab.Abstractions;
using RepLab.Plugins.Datasets.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>Options of the <c>image-folder</c> dataset.</summary>
public sealed record ImageFolderOptions : PluginOptions
{
    /// <summary>
    /// Folder with one subfolder per class holding PNG or JPEG files (or, with split-folders, train/ and
    /// test/ each holding the class subfolders). Default /usr/share/datasets/image-folder.
    /// </summary>
    public string Root { get; init; } = "/usr/share/datasets/image-folder";

    /// <summary>Side length in pixels every image is resized to (square, bilinear without antialiasing; default 64).</summary>
    [Range(1, 1024)]
    public int Size { get; init; } = 64;

    /// <summary>Channels: 1 (decoded as grayscale) or 3 (RGB) (default 3).</summary>
    [Range(1, 3)]
    public int Channels { get; init; } = 3;

    /// <summary>
    /// Keep the decoded uint8 tensor in <c>&lt;folder&gt;/.replab-cache-&lt;size&gt;-&lt;channels&gt;.safetensors</c>
    /// and reuse it while it is newer than every image and the file list is unchanged (default false).
    /// </summary>
    public bool Cache { get; init; }

    /// <summary>Splits come from the train/ and test/ subfolders of root (default false: one train split of everything).</summary>
    public bool SplitFolders { get; init; }
}

/// <summary>
/// A folder of PNG and JPEG images, one subfolder per class (class index = position of the folder name in
/// ordinal sorted order, as torchvision's ImageFolder). Decoded with libpng and libjpeg-turbo, resized to a
/// square on load. Splits: train (everything), or train and test from subfolders.
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

    public ImageSet Load(string split)
    {
        if (!Splits.Contains(split))
            throw new ArgumentException($"image-folder has no split '{split}' ({string.Join(", ", Splits)}{(options.SplitFolders ? "" : "; set split-folders: true for train/ and test/ subfolders")})");
        var folder = options.SplitFolders ? Path.Combine(options.Root, split) : options.Root;
        var layout = options.SplitFolders
            ? $"{options.Root}/train/<class>/*.png|jpg and {options.Root}/test/<class>/*.png|jpg"
            : $"{options.Root}/<class>/*.png|jpg";
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"image-folder: expected the folder {folder} (one subfolder of PNG or JPEG images per class: {layout})");
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        var files = classes
            .SelectMany((c, i) => Directory.EnumerateFiles(Path.Combine(folder, c!), "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal)
                .Select(f => (path: f, label: (long)i)))
            .ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"image-folder: expected PNG or JPEG images in {folder} (one subfolder per class: {layout}); found none", folder);

        var name = $"image-folder/{split}";
        var cachePath = Path.Combine(folder, $".replab-cache-{options.Size}-{options.Channels}.safetensors");
        var listing = Listing(folder, classes!, files.Select(f => f.path));
        if (options.Cache && TryCache(cachePath, listing, files.Select(f => f.path), classes.Length, name) is { } cached) return cached;

        var s = options.Size;
        var images = torch.empty([files.Length, options.Channels, s, s], ScalarType.UInt8);
        for (var i = 0; i < files.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (pixels, w, h) = Decode(files[i].path);
            // Decoders give interleaved H, W, C; the set holds C, H, W.
            var chw = torch.tensor<byte>(pixels, [1, h, w, options.Channels]).permute(0, 3, 1, 2).contiguous();
            images.slice(0, i, i + 1).copy_(Resize.Bilinear(chw, s));
        }
        var labels = torch.tensor<long>(files.Select(f => f.label).ToArray());
        if (options.Cache)
            Safetensors.Save(cachePath, new Dictionary<string, Tensor> { ["images"] = images, ["labels"] = labels },
                new Dictionary<string, string> { ["listing"] = listing, ["classes"] = JsonSerializer.Serialize(classes) });
        return new ImageSet(images, labels, classes.Length, name);
    }

    private (byte[] pixels, int width, int height) Decode(string path)
    {
        var data = File.ReadAllBytes(path);
        if (PngDecoder.IsPng(data)) return PngDecoder.Decode(data, options.Channels, path);
        if (JpegDecoder.IsJpeg(data)) return JpegDecoder.Decode(data, options.Channels, path);
        throw new InvalidDataException($"image-folder: {path}: neither a PNG nor a JPEG file (its first bytes are not a PNG or JPEG signature)");
    }

    /// <summary>A hash of the class names and relative image paths: a cache of another file list is stale even if older files remain.</summary>
    private static string Listing(string folder, IEnumerable<string> classes, IEnumerable<string> files)
    {
        var text = string.Join('\n', classes) + "\n\n" + string.Join('\n', files.Select(f => Path.GetRelativePath(folder, f)));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static ImageSet? TryCache(string cachePath, string listing, IEnumerable<string> files, int classes, string name)
    {
        if (!File.Exists(cachePath)) return null;
        var written = File.GetLastWriteTimeUtc(cachePath);
        if (files.Any(f => File.GetLastWriteTimeUtc(f) >= written)) return null;
        var (tensors, metadata) = Safetensors.Load(cachePath);
        if (!metadata.TryGetValue("listing", out var l) || l != listing || !tensors.ContainsKey("images") || !tensors.ContainsKey("labels"))
        {
            foreach (var t in tensors.Values) t.Dispose();
            return null;
        }
        return new ImageSet(tensors["images"], tensors["labels"], classes, name);
    }
}
