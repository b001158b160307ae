using System.Runtime.InteropServices;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>JPEG decoding through libjpeg-turbo's TurboJPEG API (tjDecompress2), to 8-bit gray or RGB.</summary>
internal static unsafe class JpegDecoder
{
    private const int PixelRgb = 0, PixelGray = 6; // TJPF_RGB, TJPF_GRAY
    private const int FlagAccurateDct = 4096;     // TJFLAG_ACCURATEDCT: the slow, exact IDCT, as PIL uses
    private const int ColorspaceGray = 2;         // TJCS_GRAY: a one-component JPEG

    [DllImport(NativeCodecs.TurboJpeg)]
    private static extern IntPtr tjInitDecompress();

    [DllImport(NativeCodecs.TurboJpeg)]
    private static extern int tjDecompressHeader3(IntPtr handle, byte* jpeg, nuint size, out int width, out int height, out int subsamp, out int colorspace);

    [DllImport(NativeCodecs.TurboJpeg)]
    private static extern int tjDecompress2(IntPtr handle, byte* jpeg, nuint size, byte* dst, int width, int pitch, int height, int pixelFormat, int flags);

    [DllImport(NativeCodecs.TurboJpeg)]
    private static extern int tjDestroy(IntPtr handle);

    [DllImport(NativeCodecs.TurboJpeg)]
    private static extern IntPtr tjGetErrorStr2(IntPtr handle);

    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>
    /// Decodes to interleaved 8-bit pixels, gray or RGB as <paramref name="channels"/> asks. A gray JPEG read
    /// as gray keeps its levels; a colour JPEG read as gray is decoded to RGB and converted by
    /// <see cref="Luma.FromRgb"/>, as Pillow's <c>convert("L")</c> does and the PNG path does, rather than
    /// taking the decoder's Y plane, which differs from it by rounding.
    /// </summary>
    public static (byte[] pixels, int width, int height) Decode(ReadOnlySpan<byte> data, int channels, string path, long maxPixels)
    {
        NativeCodecs.EnsureResolver();
        var handle = tjInitDecompress();
        if (handle == IntPtr.Zero) throw new InvalidOperationException($"image-folder: tjInitDecompress failed ({Message(IntPtr.Zero)})");
        try
        {
            fixed (byte* p = data)
            {
                if (tjDecompressHeader3(handle, p, (nuint)data.Length, out var w, out var h, out _, out var colorspace) != 0)
                    throw new InvalidDataException($"image-folder: {path}: not a readable JPEG (libjpeg-turbo: {Message(handle)})");
                ImageLimits.Check((uint)w, (uint)h, maxPixels, path);
                var toLuma = channels == 1 && colorspace != ColorspaceGray;
                var decoded = toLuma ? 3 : channels;
                var pixels = new byte[(long)w * h * decoded];
                fixed (byte* o = pixels)
                    if (tjDecompress2(handle, p, (nuint)data.Length, o, w, w * decoded, h, decoded == 1 ? PixelGray : PixelRgb, FlagAccurateDct) != 0)
                        throw new InvalidDataException($"image-folder: {path}: not a readable JPEG (libjpeg-turbo: {Message(handle)})");
                return (toLuma ? Luma.FromRgb(pixels) : pixels, w, h);
            }
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    private static string Message(IntPtr handle) => Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
}
