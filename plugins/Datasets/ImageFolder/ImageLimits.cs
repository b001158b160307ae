namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>The size check every decoder makes from the header, before it allocates anything.</summary>
internal static class ImageLimits
{
    public static void Check(uint width, uint height, long maxPixels, string path)
    {
        var pixels = (ulong)width * height;
        if (pixels > (ulong)maxPixels)
            throw new InvalidDataException($"image-folder: {path}: {width:N0} x {height:N0} pixels, more than max-pixels {maxPixels:N0} " +
                "(a damaged or hostile header?); raise image-folder's max-pixels if the image is meant to be this large");
    }
}
