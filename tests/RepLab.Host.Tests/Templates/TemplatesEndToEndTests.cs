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
    private readonly OutsideTheRepository outside = new();
    private static readonly string[] Kinds = ["method", "encoder", "dataset", "augmentation", "evaluator", "callback"];
    private static string Version => OutsideTheRepository.Version;

    private static string Feed => OutsideTheRepository.Feed;

    private string root => outside.Root;

    private string Work => outside.Work;

    public void Dispose() => outside.Dispose();

    [Fact]
    public void Every_template_builds_passes_its_tests_and_runs_resumes_and_evaluates_from_the_feed_alone()
    {
        var clock = Stopwatch.StartNew();
        var repository = Git("status", "--porcelain");
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
        Kinds.SelectMany(k => Directory.EnumerateFiles(Path.Combine(Work, Name(k)), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.Contains("/runs/") && !f.Contains("/mlruns/"))
            .Where(f => File.ReadAllText(f) is var text && (text.Contains(Repo.Root) || text.Contains(root))).Should().BeEmpty("no generated file names a path of this machine");
        Git("status", "--porcelain").Should().Be(repository, "nothing in the repository was edited");
    }

    [Fact]
    public void Replab_new_makes_what_dotnet_new_makes_and_refuses_an_unknown_kind_with_a_suggestion()
    {
        var cli = Repo.BuiltCli;
        Run(Work, "dotnet", cli, "new", "method", "SimSiam");
        Run(Work, "dotnet", "new", "replab-method", "-n", "SimSiam", "-o", "again");
        string[] Files(string dir) => Directory.EnumerateFiles(Path.Combine(Work, dir), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(Work, dir), f)).Order().ToArray();
        Files("SimSiam").Should().Equal(Files("again")).And.Contain("experiments/sim-siam.yaml");
        File.ReadAllText(Path.Combine(Work, "SimSiam", "SimSiam", "SimSiamMethod.cs")).Should().Contain("[Plugin(\"sim-siam\"");
        var (code, _, stderr) = Exec(Work, "dotnet", cli, "new", "methd", "X");
        code.Should().Be(2);
        stderr.Should().Contain("unknown kind 'methd' (did you mean 'method'?)");
    }

    private static string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    private static string Name(string kind) => "My" + char.ToUpperInvariant(kind[0]) + kind[1..];

    /// <summary>Trains the generated experiment for 4 steps (checkpoint and stop), resumes it to its end and checks the evaluation ran.</summary>
    private void RunResumeAndEvaluate(string kind)
    {
        var dir = Path.Combine(Work, Name(kind));
        var tool = Path.Combine(root, "tool", "replab");
        var experiment = Path.GetRelativePath(dir, Directory.GetFiles(Path.Combine(dir, "experiments"), "*.yaml").Single());
        Run(dir, tool, "run", experiment, "trainer.epochs=1", "--stop-after-steps", "4");
        var resumed = Run(dir, tool, "run", experiment, "trainer.epochs=1", "--resume");
        resumed.Should().Contain("resumed from").And.Contain("step 4", $"the {kind} run resumes from its checkpoint");
        resumed.Should().MatchRegex(@"eval/[a-z-]+/top1 = [01]\.\d+", $"the {kind} run is evaluated");
        // The other commands of the generated README: the installed tool's checks, and the listing with this plugin in it.
        Run(dir, tool, "check", $"{Name(kind)}/bin/Debug/net10.0").Should().MatchRegex(@"\d+ checks of 1 plugin in \S+ passed");
        Run(dir, tool, "plugins", experiment).Should().Contain(Path.GetFileNameWithoutExtension(experiment), "the plugin is listed under its name");
    }

    private string Run(string dir, string file, params string[] args) => outside.Run(dir, file, args);

    private (int Code, string Stdout, string Stderr) Exec(string dir, string file, params string[] args) => outside.Exec(dir, file, args);
}
