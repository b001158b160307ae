using RepLab.Host.Plugins;

namespace RepLab.Host.Tests;

/// <summary>
/// Base of tests that drive the CLI in-process: a temp folder, the built-in plugins on
/// REPLAB_PLUGIN_PATH, and <see cref="Cli"/> capturing exit code, stdout and stderr.
/// </summary>
public abstract class CliHarness : IDisposable
{
    private readonly string? savedPath = Environment.GetEnvironmentVariable(PluginCatalog.PathVariable);
    private readonly string? savedTracking = Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI");
    private readonly string? savedCli = Environment.GetEnvironmentVariable("REPLAB_CLI");

    protected CliHarness(string prefix)
    {
        Dir = Directory.CreateTempSubdirectory(prefix).FullName;
        Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, Repo.BuiltInPlugins);
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_URI", Path.Combine(Dir, "mlruns"));
        // A sweep's trials run as the built CLI, not as the test host.
        Environment.SetEnvironmentVariable("REPLAB_CLI", Repo.BuiltCli);
    }

    protected string Dir { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, savedPath);
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_URI", savedTracking);
        Environment.SetEnvironmentVariable("REPLAB_CLI", savedCli);
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected static (int code, string stdout, string stderr) Cli(params string[] args) => Tracking.CliRunner.Run(args);

    /// <summary>
    /// The built CLI as a child process (for signals and exits a test host must not take), with the built-in
    /// plugins, <paramref name="environment"/> on top of this process's, and its output redirected.
    /// </summary>
    protected static System.Diagnostics.Process StartCli(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Prepend(Repo.BuiltCli)) psi.ArgumentList.Add(a);
        psi.Environment[PluginCatalog.PathVariable] = Repo.BuiltInPlugins;
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        return System.Diagnostics.Process.Start(psi)!;
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for a child to exit; one that does not is killed
    /// with its children (so a failing test leaves nothing running) and the answer is false.</summary>
    protected static bool ExitsWithin(System.Diagnostics.Process child, int milliseconds)
    {
        if (child.WaitForExit(milliseconds)) return true;
        child.Kill(entireProcessTree: true);
        child.WaitForExit();
        return false;
    }
}
