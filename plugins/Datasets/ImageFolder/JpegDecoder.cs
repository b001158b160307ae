using System.Runtime.InteropServices;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>JPEG decoding through libjpeg-turbo's TurboJPEG API (tjDecompress2), to 8-bit gray or RGB.</summary>
internal static unsafe class JpegDecoder
{
    private const int PixelRgb = 0, PixelGray = 6; // TJPF_RGB, TJPF_GRAY
    private const int FlagAccurateDct = 4096;     // TJFLAG_ACCURATEDCT: the slow, exact IDCT, as PIL uses

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

    /// <summary>Decodes to interleaved 8-bit pixels, gray or RGB as <paramref name="channels"/> asks.</summary>
    public static (byte[] pixels, int width, int height) Decode(ReadOnlySpan<byte> data, int channels, string path)
    {
        NativeCodecs.EnsureResolver();
        var handle = tjInitDecompress();
        if (handle == IntPtr.Zero) throw new InvalidOperationException($"image-folder: tjInitDecompress failed ({Message(IntPtr.Zero)})");
        try
        {
            fixed (byte* p = data)
            {
                if (tjDecompressHeader3(handle, p, (nuint)data.Length, out var w, out var h, out _, out _) != 0)
                    throw new InvalidDataException($"image-folder: {path}: not a readable JPEG (libjpeg-turbo: {Message(handle)})");
                var pixels = new byte[(long)w * h * channels];
                fixed (byte* o = pixels)
                    if (tjDecompress2(handle, p, (nuint)data.Length, o, w, w * channels, h, channels == 1 ? PixelGray : PixelRgb, FlagAccurateDct) != 0)
                        throw new InvalidDataException($"image-folder: {path}: not a readable JPEG (libjpeg-turbo: {Message(handle)})");
                return (pixels, w, h);
            }
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    private static string Message(IntPtr handle) => Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
}
