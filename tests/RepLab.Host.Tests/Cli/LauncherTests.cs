using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>The bash launcher <c>./replab</c> at the repository's root, run as a process as a user runs it.</summary>
public sealed class LauncherTests : IDisposable
{
    private static readonly string Launcher = Path.Combine(Repo.Root, "replab");

    /// <summary>The CLI the launcher runs (it always builds Release), and the stamp its build writes beside it.</summary>
    private static readonly string LauncherCli = Path.Combine(Repo.Root, "host", "RepLab.Host", "bin", "Release", "net10.0", "replab.dll");

    private static readonly string Stamp = Path.Combine(Path.GetDirectoryName(LauncherCli)!, ".replab-built");

    private readonly string dir = Directory.CreateTempSubdirectory("replab-launcher-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A bash script run as a user runs it, with <paramref name="pathPrefix"/> before PATH and
    /// <paramref name="environment"/> on top of this process's.</summary>
    internal static (int Code, string Stdout, string Stderr) Launch(string launcher, string? pathPrefix, params string[] args) =>
        Launch(launcher, pathPrefix, new Dictionary<string, string>(), args);

    internal static (int Code, string Stdout, string Stderr) Launch(string launcher, string? pathPrefix, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(launcher);
        foreach (var a in args) start.ArgumentList.Add(a);
        if (pathPrefix is not null) start.Environment["PATH"] = pathPrefix + ":" + start.Environment["PATH"];
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The script's lines that are code (neither comments nor blank): none may reach the user.</summary>
    internal static HashSet<string> CodeLines(string launcher) =>
        File.ReadLines(launcher).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();

    private static (bool, DateTime) State(string file) => (File.Exists(file), File.Exists(file) ? File.GetLastWriteTimeUtc(file) : default);

    [Theory]
    [InlineData("bench/run.sh", "nonsense")]
    [InlineData("bench/torchsharp.sh", "nonsense")]
    [InlineData("bench/distributed.sh", "nonsense")]
    public void The_other_scripts_print_their_usage_on_a_wrong_word_without_script_lines_exit_2(string script, string word)
    {
        var path = Path.Combine(Repo.Root, script);

        var (code, stdout, stderr) = Launch(path, null, word);

        code.Should().Be(2, stderr);
        var usage = stdout + stderr;
        usage.Should().Contain(Path.GetFileName(script), "the usage names the script's commands");
        usage.Split('\n').Select(l => l.Trim()).Where(CodeLines(path).Contains)
            .Should().BeEmpty("the usage is the comment block, not lines of the script");
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_prints_the_usage_and_the_built_CLIs_commands_without_script_lines_or_a_build(string flag)
    {
        File.Exists(LauncherCli).Should().BeTrue($"the tests run after a Release build ({LauncherCli})");
        var (stamp, cli) = (State(Stamp), State(LauncherCli));

        var (code, stdout, stderr) = Launch(Launcher, null, flag);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("./replab test").And.Contain("./replab <command> ...", "the launcher's usage");
        stdout.Should().Contain("validate <experiment>").And.Contain("sweep <experiment>").And.Contain("plugins", "the CLI's commands");
        (stdout + stderr).Split('\n').Select(l => l.Trim()).Where(CodeLines(Launcher).Contains)
            .Should().BeEmpty("help prints the usage, not lines of the script (set -euo pipefail was one)");
        stderr.Should().NotContain("building");
        State(Stamp).Should().Be(stamp, "help never builds (the build stamp is untouched)");
        State(LauncherCli).Should().Be(cli, "help never builds (the CLI is untouched)");
    }

    [Fact]
    public void Help_in_a_checkout_with_nothing_built_prints_the_usage_and_how_to_build_without_building()
    {
        // A fresh checkout: the launcher and the host's project, no bin/; a dotnet on the PATH that records any call.
        var launcher = Path.Combine(dir, "replab");
        File.Copy(Launcher, launcher);
        Directory.CreateDirectory(Path.Combine(dir, "host", "RepLab.Host"));
        File.WriteAllText(Path.Combine(dir, "host", "RepLab.Host", "RepLab.Host.csproj"), "<Project />\n");
        var fakeBin = Directory.CreateDirectory(Path.Combine(dir, "fake-bin")).FullName;
        var calls = Path.Combine(dir, "dotnet-calls");
        File.WriteAllText(Path.Combine(fakeBin, "dotnet"), $"#!/usr/bin/env bash\necho \"$*\" >> '{calls}'\n");
        File.SetUnixFileMode(Path.Combine(fakeBin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var (code, stdout, stderr) = Launch(launcher, fakeBin, "help");

        code.Should().Be(0, stderr);
        stdout.Should().Contain("./replab test").And.Contain("./replab build");
        stdout.Should().Contain("not built").And.Contain("./replab build builds it");
        (stdout + stderr).Split('\n').Select(l => l.Trim()).Where(CodeLines(launcher).Contains).Should().BeEmpty();
        File.Exists(calls).Should().BeFalse("help neither builds nor runs dotnet when nothing is built");
        Directory.Exists(Path.Combine(dir, "host", "RepLab.Host", "bin")).Should().BeFalse();
    }
}

/// <summary><c>./replab root</c> (tools/reference-root.sh): what it does before any download.</summary>
public sealed class ReferenceRootScriptTests : IDisposable
{
    private readonly string cache = Directory.CreateTempSubdirectory("replab-reference-root-").FullName;

    public void Dispose() => Directory.Delete(cache, recursive: true);

    private (int Code, string Stderr) Root(string mirror, params string[] args)
    {
        var environment = new Dictionary<string, string> { ["REPLAB_REFERENCE_ROOT"] = cache, ["REPLAB_DEBIAN_MIRROR"] = mirror };
        var (code, _, stderr) = LauncherTests.Launch(Path.Combine(Repo.Root, "replab"), null, environment, ["root", .. args]);
        return (code, stderr);
    }

    [Fact]
    public void An_unreachable_mirror_is_one_line_naming_it_and_leaves_no_root()
    {
        // A closed port on this machine: refused at once, nothing downloaded.
        var (code, stderr) = Root("http://127.0.0.1:9/debian", "build");

        code.Should().Be(1, stderr);
        stderr.Trim().Split('\n').Should().ContainSingle(stderr);
        stderr.Should().Contain("the Debian mirror http://127.0.0.1:9/debian cannot be reached").And.Contain("REPLAB_DEBIAN_MIRROR");
        Directory.Exists(Path.Combine(cache, "rootfs")).Should().BeFalse("an interrupted build never looks like a root");
    }

    [Fact]
    public void An_unknown_subcommand_prints_the_usage_exit_2()
    {
        var (code, stderr) = Root("http://127.0.0.1:9/debian", "nonsense");

        code.Should().Be(2);
        stderr.Should().Contain("tools/reference-root.sh build").And.Contain("tools/reference-root.sh test");
        stderr.Split('\n').Select(l => l.Trim()).Where(LauncherTests.CodeLines(Path.Combine(Repo.Root, "tools", "reference-root.sh")).Contains)
            .Should().BeEmpty("the usage is the comment block, not lines of the script");
        Directory.EnumerateFileSystemEntries(cache).Should().BeEmpty("nothing is made for a wrong word");
    }
}
