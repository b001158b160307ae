using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Tests.Plugins.Evaluators;

/// <summary>Labelled 1x4x4 image sets whose pixels (the <see cref="PixelEncoder"/>'s features) make the evaluators' answers known.</summary>
internal static class KnownAnswerSets
{
    /// <summary>
    /// <paramref name="perClass"/> images of each of <paramref name="classes"/> classes; with
    /// <paramref name="separable"/>, pixel c of a class-c image is bright and the rest faint noise
    /// (each class its own direction); else every pixel is noise, unrelated to the label.
    /// </summary>
    public static ImageSet Make(int classes, int perClass, bool separable, int seed, string name)
    {
        var rng = new Random(seed);
        var n = classes * perClass;
        var pixels = new byte[n * 16];
        var labels = new long[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = i % classes;
            for (var p = 0; p < 16; p++) pixels[i * 16 + p] = (byte)(separable ? rng.Next(0, 20) : rng.Next(0, 256));
            if (separable) pixels[i * 16 + labels[i]] = 255;
        }
        using var scope = torch.NewDisposeScope();
        return new ImageSet(torch.tensor(pixels, n, 1, 4, 4), torch.tensor(labels, n), classes, name);
    }
}
