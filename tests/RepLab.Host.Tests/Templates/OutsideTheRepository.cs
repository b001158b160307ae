using System.Diagnostics;
using System.Reflection;
using FluentAssertions;

namespace RepLab.Host.Tests.Templates;

/// <summary>
/// A plugin author's machine, as far as a test can make one: a temporary folder outside the repository with a
/// HOME of its own (so dotnet tools, templates and NuGet settings installed here touch nothing of the user's), an
/// empty package folder, REPLAB_FEED naming the packed feed, and a nuget.config above the work folder that clears
/// every source and adds only the packages this machine's setup already restored: the feed (through the
/// generated projects' nuget.config) and those are all a restore can read, so nothing is downloaded.
/// </summary>
public sealed class OutsideTheRepository : IDisposable
{
    /// <summary>The one version of everything RepLab ships, as these tests were built with it.</summary>
    public static string Version { get; } = typeof(OutsideTheRepository).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>Where ./replab pack (run by ./replab test before the tests) writes the packages.</summary>
    public static string Feed => Path.Combine(Repo.Root, "artifacts", "feed");

    private readonly string restored = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public OutsideTheRepository()
    {
        File.Exists(Path.Combine(Feed, $"replab.{Version}.nupkg")).Should().BeTrue($"the feed {Feed} holds the packages of {Version} (./replab pack)");
        Root = Directory.CreateTempSubdirectory("replab-outside-").FullName;
        Directory.CreateDirectory(Work);
        Directory.CreateDirectory(Home);
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="restored" value="{restored}" />
              </packageSources>
            </configuration>
            """);
    }

    /// <summary>The temporary folder.</summary>
    public string Root { get; }

    /// <summary>Where projects are made (under the nuget.config).</summary>
    public string Work => Path.Combine(Root, "work");

    /// <summary>This machine's HOME for the commands run.</summary>
    public string Home => Path.Combine(Root, "home");

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Runs a command that must succeed; its stdout and stderr together.</summary>
    public string Run(string dir, string file, params string[] args)
    {
        var (code, stdout, stderr) = Exec(dir, file, args);
        code.Should().Be(0, $"`{Path.GetFileName(file)} {string.Join(' ', args)}` in {dir} failed:\n{stdout}\n{stderr}");
        return stdout + stderr;
    }

    /// <summary>Runs a command with this machine's HOME, package folder and feed, with no telemetry or first-run text, and the global tools on PATH.</summary>
    public (int Code, string Stdout, string Stderr) Exec(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Home;
        psi.Environment["DOTNET_CLI_HOME"] = Home;
        psi.Environment["NUGET_PACKAGES"] = Path.Combine(Root, "packages");
        psi.Environment["REPLAB_FEED"] = Feed;
        // mktemp and the like make their folders here, under the nuget.config that clears every other source.
        psi.Environment["TMPDIR"] = Work;
        psi.Environment["PATH"] = Path.Combine(Home, ".dotnet", "tools") + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var v in new[] { "REPLAB_PLUGIN_PATH", "MLFLOW_TRACKING_URI", "REPLAB_CLI", "REPLAB_NATIVE" }) psi.Environment.Remove(v);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{file} {string.Join(' ', args)}` took over 10 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
