using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Datasets.Synthetic;

/// <summary>Options of the <c>synthetic</c> dataset.</summary>
public sealed record SyntheticOptions : PluginOptions
{
    /// <summary>Images in the train split (default 512).</summary>
    [Range(1, 1_000_000)]
    public int TrainSize { get; init; } = 512;

    /// <summary>Images in the test split (default 128).</summary>
    [Range(1, 1_000_000)]
    public int TestSize { get; init; } = 128;

    /// <summary>Side length in pixels (default 28).</summary>
    [Range(8, 256)]
    public int Size { get; init; } = 28;

    /// <summary>Channels: 1 (grayscale) or 3 (RGB, each shape class with its own hue) (default 1).</summary>
    [Range(1, 3)]
    public int Channels { get; init; } = 1;

    /// <summary>Seed of the generator; the same seed gives the same images (default 0).</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Labelled shapes drawn on noise, for fast tests: four classes (filled square, ring, cross,
/// diagonal bar) at random positions and sizes. Deterministic for a seed; nothing is read from disk.
/// </summary>
[Plugin("synthetic", Summary = "generated labelled shapes (4 classes) for fast tests")]
public sealed class SyntheticDataset(SyntheticOptions options) : IDataset
{
    public const int Classes = 4;

    /// <summary>The shapes of the four classes, in label order.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["square", "ring", "cross", "bar"];

    public IReadOnlyList<string> Splits { get; } = ["train", "test", "unlabeled"];

    public ImageShape? ShapeOf(string split) => new ImageShape(options.Channels, options.Size, options.Size);

    public ImageSet Load(string split)
    {
        var (count, salt) = split switch
        {
            "train" => (options.TrainSize, 1),
            "unlabeled" => (options.TrainSize, 3),
            "test" => (options.TestSize, 2),
            _ => throw new ArgumentException($"synthetic has no split '{split}' (train, test, unlabeled)"),
        };
        var rng = new Random(options.Seed * 7919 + salt);
        int s = options.Size, c = options.Channels;
        var pixels = new byte[(long)count * c * s * s];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            var label = rng.Next(Classes);
            labels[i] = label;
            Draw(pixels.AsSpan(i * c * s * s, c * s * s), label, s, c, rng);
        }
        var images = torch.tensor<byte>(pixels, [count, c, s, s]);
        var labelTensor = split == "unlabeled" ? null : torch.tensor<long>(labels);
        return new ImageSet(images, labelTensor, split == "unlabeled" ? 0 : Classes, $"synthetic/{split}") { ClassNames = split == "unlabeled" ? null : ClassNames };
    }

    private static void Draw(Span<byte> image, int label, int s, int channels, Random rng)
    {
        var half = rng.Next(s / 6, s / 3);
        int cx = rng.Next(half, s - half), cy = rng.Next(half, s - half);
        var ink = (byte)rng.Next(180, 256);
        for (var y = 0; y < s; y++)
            for (var x = 0; x < s; x++)
            {
                int dx = x - cx, dy = y - cy;
                var r = Math.Sqrt(dx * dx + dy * dy);
                var on = label switch
                {
                    0 => Math.Abs(dx) <= half && Math.Abs(dy) <= half,
                    1 => r <= half && r >= half * 0.55,
                    2 => (Math.Abs(dx) <= half / 4 && Math.Abs(dy) <= half) || (Math.Abs(dy) <= half / 4 && Math.Abs(dx) <= half),
                    _ => Math.Abs(dx - dy) <= half / 4 && Math.Abs(dx) <= half,
                };
                var noise = rng.Next(0, 40);
                for (var ch = 0; ch < channels; ch++)
                {
                    // RGB: each class gets its own dominant channel, so colour carries signal too.
                    var gain = channels == 1 || ch == label % 3 ? 1.0 : 0.5;
                    image[ch * s * s + y * s + x] = (byte)Math.Min(255, on ? ink * gain : noise);
                }
            }
    }
}
