using System.Reflection;
using System.Runtime.InteropServices;

namespace RepLab.Plugins.Datasets.ImageFolder;

/// <summary>
/// Maps the logical library names of the decoders to Debian's sonames (libpng16-16, libturbojpeg0),
/// falling back to the unversioned development names, so no -dev package is needed at run time.
/// </summary>
internal static class NativeCodecs
{
    public const string Png = "replab-png16";
    public const string TurboJpeg = "replab-turbojpeg";

    private static readonly Dictionary<string, (string[] names, string package)> Candidates = new()
    {
        [Png] = (["libpng16.so.16", "libpng16.so", "libpng16.16.dylib", "libpng16.dylib"], "libpng16-16"),
        [TurboJpeg] = (["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib"], "libturbojpeg0"),
    };

    private static readonly Lazy<bool> registration = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeCodecs).Assembly, Resolve);
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Installs the resolver once for this assembly (the runtime allows only one). Every caller,
    /// whichever thread, returns only after it is installed: decoding runs on several threads, and
    /// one that got ahead would look the logical names up unresolved.
    /// </summary>
    public static void EnsureResolver() => _ = registration.Value;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!Candidates.TryGetValue(name, out var c)) return IntPtr.Zero;
        foreach (var candidate in c.names)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                return handle;
        throw new DllNotFoundException(
            $"image-folder: cannot load {c.names[0]}; install the Debian package {c.package} (./replab installs it)");
    }
}
