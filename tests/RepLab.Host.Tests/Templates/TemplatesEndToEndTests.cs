using System.Diagnostics;
using System.Reflection;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace RepLab.Host.Tests.Templates;

/// <summary>
/// What a plugin author outside the repository does, from the packed feed alone (artifacts/feed, written by
/// ./replab pack, which ./replab test runs before the tests): install the CLI tool and the template pack,
/// make a project of every template, build them, run their generated tests (conformance included), and run
/// each generated experiment for a few steps, resume it and evaluate it. Everything happens in a temporary
/// folder outside the repository with a HOME of its own; restores read only the feed and the packages this
/// machine's setup already restored (nuget.config: clear, then those two), so nothing is downloaded.
/// </summary>
[Trait("Category", "Templates")]
public sealed class TemplatesEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Kinds = ["method", "encoder", "dataset", "augmentation", "evaluator", "callback"];
    private static readonly string Version = typeof(TemplatesEndToEndTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
    private readonly string root = Directory.CreateTempSubdirectory("replab-templates-").FullName;
    private readonly string restored = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string Feed => Path.Combine(Repo.Root, "artifacts", "feed");

    private string Work => Path.Combine(root, "work");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Every_template_builds_passes_its_tests_and_runs_resumes_and_evaluates_from_the_feed_alone()
    {
        File.Exists(Path.Combine(Feed, $"replab.{Version}.nupkg")).Should().BeTrue($"the feed {Feed} holds the packages of {Version} (./replab pack)");
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(Work);
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="restored" value="{restored}" />
              </packageSources>
            </configuration>
            """);
        Run(Work, "dotnet", "tool", "install", "replab", "--tool-path", Path.Combine(root, "tool"), "--add-source", Feed, "--version", Version);
        Run(Work, "dotnet", "new", "install", $"RepLab.Templates::{Version}", "--add-source", Feed);
        foreach (var kind in Kinds) Run(Work, "dotnet", "new", $"replab-{kind}", "-n", Name(kind));
        output.WriteLine($"tool, templates and {Kinds.Length} projects in {clock.Elapsed.TotalSeconds:F0} s");

        Run(Work, "dotnet", "new", "sln", "-n", "all");
        Run(Work, "dotnet", ["sln", "all.slnx", "add", .. Kinds.SelectMany(k => new[] { $"{Name(k)}/{Name(k)}/{Name(k)}.csproj", $"{Name(k)}/{Name(k)}.Tests/{Name(k)}.Tests.csproj" })]);
        var tests = Run(Work, "dotnet", "test", "all.slnx", "-v", "quiet", "-nologo");
        output.WriteLine($"built and tested in {clock.Elapsed.TotalSeconds:F0} s");
        foreach (var kind in Kinds) tests.Should().MatchRegex($@"Passed!.*{Name(kind)}\.Tests\.dll", $"the {kind} project's tests pass");

        foreach (var kind in Kinds) RunResumeAndEvaluate(kind);
        output.WriteLine($"all in {clock.Elapsed.TotalSeconds:F0} s");
        Directory.EnumerateFiles(Work, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.Contains("/runs/") && !f.Contains("/mlruns/"))
            .Where(f => File.ReadAllText(f).Contains(Repo.Root)).Should().BeEmpty("no generated file names this machine's checkout");
    }

    [Fact]
    public void Replab_new_makes_what_dotnet_new_makes_and_refuses_an_unknown_kind_with_a_suggestion()
    {
        Directory.CreateDirectory(Work);
        var cli = Repo.BuiltCli;
        Run(Work, "dotnet", cli, "new", "method", "BarlowTwins");
        Run(Work, "dotnet", "new", "replab-method", "-n", "BarlowTwins", "-o", "again");
        string[] Files(string dir) => Directory.EnumerateFiles(Path.Combine(Work, dir), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(Work, dir), f)).Order().ToArray();
        Files("BarlowTwins").Should().Equal(Files("again")).And.Contain("experiments/barlow-twins.yaml");
        File.ReadAllText(Path.Combine(Work, "BarlowTwins", "BarlowTwins", "BarlowTwinsMethod.cs")).Should().Contain("[Plugin(\"barlow-twins\"");
        var (code, _, stderr) = Exec(Work, "dotnet", cli, "new", "methd", "X");
        code.Should().Be(2);
        stderr.Should().Contain("unknown kind 'methd' (did you mean 'method'?)");
    }

    private static string Name(string kind) => "My" + char.ToUpperInvariant(kind[0]) + kind[1..];

    private static string Kebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>Trains the generated experiment for 4 steps (checkpoint and stop), resumes it to its end and checks the evaluation ran.</summary>
    private void RunResumeAndEvaluate(string kind)
    {
        var dir = Path.Combine(Work, Name(kind));
        var tool = Path.Combine(root, "tool", "replab");
        var experiment = $"experiments/{Kebab(Name(kind))}.yaml";
        Run(dir, tool, "run", experiment, "trainer.epochs=1", "--stop-after-steps", "4");
        var resumed = Run(dir, tool, "run", experiment, "trainer.epochs=1", "--resume");
        resumed.Should().Contain("resumed from").And.Contain("step 4", $"the {kind} run resumes from its checkpoint");
        resumed.Should().MatchRegex(@"eval/[a-z-]+/top1 = [01]\.\d+", $"the {kind} run is evaluated");
    }

    private string Run(string dir, string file, params string[] args)
    {
        var (code, stdout, stderr) = Exec(dir, file, args);
        code.Should().Be(0, $"`{Path.GetFileName(file)} {string.Join(' ', args)}` in {dir} failed:\n{stdout}\n{stderr}");
        return stdout + stderr;
    }

    /// <summary>Runs a command with this test's own HOME, package folder and feed, and no telemetry or first-run text.</summary>
    private (int Code, string Stdout, string Stderr) Exec(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var home = Path.Combine(root, "home");
        Directory.CreateDirectory(home);
        psi.Environment["HOME"] = home;
        psi.Environment["DOTNET_CLI_HOME"] = home;
        psi.Environment["NUGET_PACKAGES"] = Path.Combine(root, "packages");
        psi.Environment["REPLAB_FEED"] = Feed;
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
