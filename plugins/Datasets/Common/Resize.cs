using RepLab.Torch;

namespace RepLab.Plugins.Datasets.Common;

/// <summary>Resizing of uint8 image batches on load.</summary>
internal static class Resize
{
    /// <summary>
    /// Bilinear resize of uint8 [N, C, H, W] to <paramref name="size"/> x <paramref name="size"/>,
    /// rounded back to uint8: PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c>,
    /// antialiased when it shrinks (<c>antialias=True</c>, the triangle filter widened by the scale that
    /// PIL and torchvision's <c>Resize</c> use), so every source pixel counts. The images are converted
    /// in chunks to bound the float copy.
    /// </summary>
    public static Tensor Bilinear(Tensor images, int size)
    {
        var s = images.shape;
        if (s[2] == size && s[3] == size) return images.clone();
        var shrinks = s[2] > size || s[3] > size;
        var result = torch.empty([s[0], s[1], size, size], ScalarType.UInt8);
        const long chunk = 1024;
        for (long i = 0; i < s[0]; i += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var x = images.slice(0, i, Math.Min(s[0], i + chunk)).to(ScalarType.Float32);
            var y = F.interpolate(x, size: [size, size], mode: "bilinear", antialias: shrinks).round().clamp(0, 255).to(ScalarType.UInt8);
            result.slice(0, i, Math.Min(s[0], i + chunk)).copy_(y);
        }
        return result;
    }
}
