namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>Colour to gray as Pillow's <c>convert("L")</c>, for PNG and JPEG files alike.</summary>
internal static class Luma
{
    /// <summary>
    /// Gray levels of interleaved 8-bit RGB pixels: the ITU-R BT.601 weights (0.299, 0.587, 0.114) on the
    /// stored, gamma-encoded values, in Pillow's 16-bit fixed point (libImaging/Convert.c, rgb2l):
    /// L = (19595 R + 38470 G + 7471 B + 32768) &gt;&gt; 16. The weights sum to 65536, so a gray pixel keeps
    /// its level; the added 32768 rounds to the nearest level, halves up. Because the weights are
    /// rounded to 1/65536, this differs from rounding 0.299 R + 0.587 G + 0.114 B, or from
    /// (299 R + 587 G + 114 B + 500) / 1000, for a few colours (9,040 of 2^24, e.g. (0, 0, 250) is 28, not 29).
    /// </summary>
    public static byte[] FromRgb(ReadOnlySpan<byte> rgb)
    {
        var gray = new byte[rgb.Length / 3];
        for (var i = 0; i < gray.Length; i++)
            gray[i] = (byte)((19595 * rgb[3 * i] + 38470 * rgb[3 * i + 1] + 7471 * rgb[3 * i + 2] + 32768) >> 16);
        return gray;
    }
}
