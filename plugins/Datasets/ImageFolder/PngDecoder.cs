using System.Runtime.InteropServices;
using System.Text;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>PNG decoding through libpng 1.6's simplified API (png_image_*), to 8-bit gray or RGB.</summary>
internal static unsafe class PngDecoder
{
    /// <summary>png_image exactly as declared in png.h 1.6 (104 bytes on 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PngImage
    {
        public IntPtr Opaque;
        public uint Version;
        public uint Width;
        public uint Height;
        public uint Format;
        public uint Flags;
        public uint ColormapEntries;
        public uint WarningOrError;
        public fixed byte Message[64];
    }

    private const uint PngImageVersion = 1;
    private const uint FormatGrayAlpha = 1, FormatRgba = 3; // PNG_FORMAT_GA, PNG_FORMAT_RGBA
    private const uint FormatFlagColor = 2;           // PNG_FORMAT_FLAG_COLOR: colour types 2, 3 (palette) and 6

    [DllImport(NativeCodecs.Png)]
    private static extern int png_image_begin_read_from_memory(PngImage* image, byte* memory, nuint size);

    [DllImport(NativeCodecs.Png)]
    private static extern int png_image_finish_read(PngImage* image, void* background, byte* buffer, int rowStride, void* colormap);

    [DllImport(NativeCodecs.Png)]
    private static extern void png_image_free(PngImage* image);

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>
    /// Decodes to interleaved 8-bit pixels, gray or RGB, 16-bit reduced. Alpha is dropped, as Pillow's
    /// <c>convert("RGB")</c> and <c>convert("L")</c> (torchvision's image loader) drop it: libpng decodes
    /// with alpha (8-bit colour not premultiplied) and the alpha bytes are left out, where asking libpng
    /// for a format without alpha would composite the image onto black. A gray
    /// file read as gray keeps its levels; a colour file read as gray is decoded to RGB and converted by
    /// <see cref="Luma.FromRgb"/>, as Pillow and the JPEG path do, not by libpng, whose colour-to-gray
    /// weights apply to linear light and would give a mixed folder two different grays.
    /// </summary>
    public static (byte[] pixels, int width, int height) Decode(ReadOnlySpan<byte> data, int channels, string path, long maxPixels)
    {
        NativeCodecs.EnsureResolver();
        // libpng keeps a pointer to the png_image in its error handler, so it lives in native memory, not on a moving heap.
        var image = (PngImage*)NativeMemory.AllocZeroed((nuint)sizeof(PngImage));
        try
        {
            image->Version = PngImageVersion;
            // libpng reads from this memory until finish_read, so it stays pinned across both calls.
            fixed (byte* p = data)
            {
                if (png_image_begin_read_from_memory(image, p, (nuint)data.Length) == 0)
                    throw Error(image, path);
                var toLuma = channels == 1 && (image->Format & FormatFlagColor) != 0;
                var decoded = toLuma ? 3 : channels;
                image->Format = decoded == 1 ? FormatGrayAlpha : FormatRgba;
                ImageLimits.Check(image->Width, image->Height, maxPixels, path);
                int w = (int)image->Width, h = (int)image->Height;
                var withAlpha = new byte[(long)w * h * (decoded + 1)];
                fixed (byte* o = withAlpha)
                    if (png_image_finish_read(image, null, o, w * (decoded + 1), null) == 0)
                        throw Error(image, path);
                var pixels = new byte[(long)w * h * decoded];
                for (long i = 0; i < (long)w * h; i++)
                    withAlpha.AsSpan((int)(i * (decoded + 1)), decoded).CopyTo(pixels.AsSpan((int)(i * decoded), decoded));
                return (toLuma ? Luma.FromRgb(pixels) : pixels, w, h);
            }
        }
        finally
        {
            png_image_free(image);
            NativeMemory.Free(image);
        }
    }

    private static InvalidDataException Error(PngImage* image, string path)
    {
        var message = new ReadOnlySpan<byte>(image->Message, 64);
        var end = message.IndexOf((byte)0);
        return new InvalidDataException($"image-folder: {path}: not a readable PNG (libpng: {Encoding.ASCII.GetString(end < 0 ? message : message[..end])})");
    }
}
