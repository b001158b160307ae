using System.Text.RegularExpressions;

namespace RepLab.Host.Cli;

/// <summary>
/// What to install when a native library the engine needs is missing: the installed CLI tool carries
/// the shim (libreplab_torch.so) but not libtorch or OpenBLAS, which come from the system's packages.
/// The loader's message names the first shared object it could not open; this maps it to the Debian
/// package and the command that installs it.
/// </summary>
internal static partial class SystemLibraries
{
    private static readonly (string Prefix, string Package)[] Packages =
    [
        ("libtorch", "libtorch1.13"), ("libc10", "libtorch1.13"), ("libshm", "libtorch1.13"),
        ("libopenblas", "libopenblas0-pthread"), ("libgomp", "libgomp1"), ("libgloo", "libgloo0"),
    ];

    /// <summary>
    /// The advice for <paramref name="e"/> (or an exception inside it) when it says a shared library could not
    /// be loaded; null for anything else.
    /// </summary>
    public static string? Advice(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is not DllNotFoundException) continue;
            var missing = MissingObject().Match(x.Message);
            // The shim itself not found (the loader lists every path it probed): the install, not the system, lacks it.
            if (!missing.Success || missing.Groups[1].Value.StartsWith("libreplab_torch", StringComparison.Ordinal))
                return "the engine's native library (libreplab_torch.so) could not be loaded: " + x.Message.TrimEnd('.') +
                       "; reinstall the replab tool, or build a checkout with ./replab build";
            var name = missing.Groups[1].Value;
            var package = Packages.FirstOrDefault(p => name.StartsWith(p.Prefix, StringComparison.Ordinal)).Package;
            return package is null
                ? $"the system library {name} is missing: install the package that provides it (apt-file search {name})"
                : $"the system library {name} is missing: install it with `sudo apt-get install {package}`" +
                  (package == "libtorch1.13" ? " (and libopenblas0-pthread, libtorch's fast BLAS)" : "");
        }
        return null;
    }

    [GeneratedRegex(@"(lib[\w.+-]+?\.so[\w.]*): cannot open shared object file")]
    private static partial Regex MissingObject();
}
