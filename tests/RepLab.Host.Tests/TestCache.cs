using System.Runtime.CompilerServices;

namespace RepLab.Host.Tests;

/// <summary>
/// The tests' own per-user cache (XDG_CACHE_HOME, where validate remembers the dry builds that passed): a fresh
/// folder per test process, inherited by the CLIs the tests start, so no test passes on what an earlier run or
/// the user's own commands left in ~/.cache, and none writes there.
/// </summary>
internal static class TestCache
{
    [ModuleInitializer]
    internal static void Isolate()
    {
        var folder = Directory.CreateTempSubdirectory("replab-tests-cache-").FullName;
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        };
    }
}
