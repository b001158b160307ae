using RepLab.Host.Plugins;

namespace RepLab.Host.Tests;

/// <summary>
/// Base of tests that drive the CLI in-process: a temp folder, the built-in plugins on
/// REPLAB_PLUGIN_PATH, and <see cref="Cli"/> capturing exit code, stdout and stderr.
/// </summary>
public abstract class CliHarness : IDisposable
{
    private readonly string? savedPath = Environment.GetEnvironmentVariable(PluginCatalog.PathVariable);

    protected CliHarness(string prefix)
    {
        Dir = Directory.CreateTempSubdirectory(prefix).FullName;
        Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, Repo.BuiltInPlugins);
    }

    protected string Dir { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, savedPath);
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected static (int code, string stdout, string stderr) Cli(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var (so, se) = (new StringWriter(), new StringWriter());
        Console.SetOut(so);
        Console.SetError(se);
        try { return (Program.Main(args), so.ToString(), se.ToString()); }
        finally { Console.SetOut(o); Console.SetError(e); }
    }
}
