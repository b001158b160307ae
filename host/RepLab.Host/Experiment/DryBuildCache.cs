using System.Security.Cryptography;
using System.Text;
using RepLab.Abstractions;

namespace RepLab.Host.Experiment;

/// <summary>
/// The method configurations whose dry build passed, one empty file each under
/// <c>$XDG_CACHE_HOME/replab/dry-builds</c> (<c>~/.cache</c>), named by a hash of the method's and the
/// encoder's configuration and of every assembly that could change the outcome (the plugins' folders,
/// by name, size and time; the host, SDK and engine by module version id). Only passes are kept: a
/// failure is built again, and reported, every time. A cache that cannot be written is no cache.
/// </summary>
internal static class DryBuildCache
{
    // Read at each use, so a process (a test) that sets XDG_CACHE_HOME gets a cache of its own.
    private static string? Folder => Locate();

    public static bool Passed(ExperimentSpec spec, string key) => Folder is not null && File.Exists(Path.Combine(Folder, Hash(spec, key)));

    public static void Pass(ExperimentSpec spec, string key)
    {
        if (Folder is null) return;
        try
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllBytes(Path.Combine(Folder, Hash(spec, key)), []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Next time builds again.
        }
    }

    private static string? Locate()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache") : null;
        return root is null ? null : Path.Combine(root, "replab", "dry-builds");
    }

    private static string Hash(ExperimentSpec spec, string key)
    {
        var text = new StringBuilder(key);
        foreach (var t in new[] { typeof(DryBuildCache), typeof(IPlugin), typeof(RepLab.Torch.Tensor) }) text.Append('\n').Append(t.Module.ModuleVersionId);
        foreach (var folder in new[] { spec.Method!.Descriptor.AssemblyPath, spec.Encoder.Descriptor.AssemblyPath }.Select(Path.GetDirectoryName).Distinct())
            foreach (var dll in Directory.EnumerateFiles(folder!, "*.dll").Order(StringComparer.Ordinal))
                text.Append('\n').Append(dll).Append(' ').Append(new FileInfo(dll).Length).Append(' ').Append(File.GetLastWriteTimeUtc(dll).Ticks);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
