using System.Reflection;
using System.Runtime.Loader;

namespace RepLab.Host.Plugins;

/// <summary>
/// One load context per plugin folder. The SDK assemblies (RepLab.Abstractions, RepLab.Torch and
/// whatever the host already shares) resolve to the host's copies, so a plugin's IMethod is the
/// host's IMethod; everything else the plugin brings is resolved from its own deps.json and stays
/// private, so two plugins may use different versions of one library.
/// </summary>
internal sealed class PluginLoadContext(string mainAssemblyPath, IReadOnlySet<string> shared)
    : AssemblyLoadContext(Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: false)
{
    private readonly AssemblyDependencyResolver resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is not null && shared.Contains(name.Name)) return null;
        var path = resolver.ResolveAssemblyToPath(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
