using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> dataset.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>Images in the train split (default 600).</summary>
    [Range(1, 10_000_000)]
    public int TrainSize { get; init; } = 600;

    /// <summary>Images in the test split (default 150).</summary>
    [Range(1, 10_000_000)]
    public int TestSize { get; init; } = 150;

    /// <summary>Side of the square images in pixels (default 28).</summary>
    [Range(8, 512)]
    public int Size { get; init; } = 28;

    /// <summary>Seed of the images; one seed gives the same images every time (default 0).</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Stripes of random period and phase in three orientations (the classes: horizontal, vertical,
/// diagonal), one channel, uint8. A dataset of files reads them in <see cref="Load"/> instead
/// (a path option, a clear error naming the file when it is missing or malformed).
/// </summary>
[Plugin("my-plugin", Summary = "stripes in three orientations (3 classes), generated from a seed")]
public sealed class MyPluginDataset(MyPluginOptions options) : IDataset
{
    /// <summary>The classes: 0 horizontal, 1 vertical, 2 diagonal.</summary>
    public const int Classes = 3;

    public IReadOnlyList<string> Splits { get; } = ["train", "test"];

    public ImageSet Load(string split)
    {
        var count = split switch
        {
            "train" => options.TrainSize,
            "test" => options.TestSize,
            _ => throw new ArgumentException($"my-plugin has no split '{split}' (train, test)"),
        };
        var rng = new Random(options.Seed * 31 + (split == "train" ? 1 : 2));
        int s = options.Size;
        var pixels = new byte[(long)count * s * s];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = rng.Next(Classes);
            Draw(pixels.AsSpan(i * s * s, s * s), (int)labels[i], s, period: rng.Next(3, 8), phase: rng.Next(8));
        }
        return new ImageSet(torch.tensor<byte>(pixels, [count, 1, s, s]), torch.tensor<long>(labels), Classes, $"my-plugin/{split}");
    }

    /// <summary>One image of class <paramref name="label"/>: pixels on a stripe are 255, the rest 0.</summary>
    public static void Draw(Span<byte> image, int label, int size, int period, int phase)
    {
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var t = label switch { 0 => y, 1 => x, _ => x + y };
                image[y * size + x] = (t + phase) % period < period / 2 ? (byte)255 : (byte)0;
            }
    }
}
