using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// File-system problems a user can fix, through the CLI: a read-only runs folder, MLflow store or sweep
/// folder (real read-only bind mounts), a checkpoint path that is a folder or a named pipe, a dataset
/// file that is a named pipe. Each is one line naming the path and what to do, exit 2, in bounded time.
/// </summary>
public sealed class FileSystemFaultTests() : CliHarness("replab-fs-fault-"), IDisposable
{
    private readonly List<string> mounts = [];

    private string Experiment(string dataset = TinyExperiment.Synthetic, string sweep = "") => TinyExperiment.Write(Dir, "fs", sweep, dataset);

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, $"{program} {string.Join(' ', args)}: {error}");
    }

    /// <summary><paramref name="path"/> (created) made read-only by a read-only bind mount of itself, undone at the end.</summary>
    private string ReadOnly(string path)
    {
        Directory.CreateDirectory(path);
        Run("mount", "--bind", path, path);
        mounts.Add(path);
        Run("mount", "-o", "remount,bind,ro", path);
        return path;
    }

    private static void ShouldBeOneLineNaming((int code, string stdout, string stderr) result, string path, string advice)
    {
        result.code.Should().Be(2, result.stderr + result.stdout);
        var lines = result.stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle(l => l.StartsWith("replab: ")).Which.Should().Contain(path).And.Contain(advice);
        result.stderr.Should().NotContain("internal error").And.NotContain("   at ");
    }

    [Fact]
    public void A_read_only_runs_folder_is_one_line_naming_it_exit_2()
    {
        var runs = ReadOnly(Path.Combine(Dir, "runs"));
        ShouldBeOneLineNaming(Cli("run", Experiment(), "--runs-dir", runs), runs, "choose a writable folder");
    }

    [Fact]
    public void A_read_only_mlflow_store_stops_a_sweep_with_one_line_naming_it_exit_2()
    {
        var store = ReadOnly(Path.Combine(Dir, "mlruns"));
        var exp = Experiment(sweep: "sweep: { grid: { encoder.features: [4] } }");
        ShouldBeOneLineNaming(Cli("sweep", exp, "--runs-dir", Path.Combine(Dir, "runs")), store, "choose a writable folder");
    }

    [Fact]
    public void A_read_only_sweep_folder_is_one_line_naming_it_exit_2()
    {
        var sweeps = ReadOnly(Path.Combine(Dir, "runs", "_sweeps"));
        var exp = Experiment(sweep: "sweep: { grid: { encoder.features: [4] } }");
        ShouldBeOneLineNaming(Cli("sweep", exp, "--runs-dir", Path.Combine(Dir, "runs")), sweeps, "choose a writable folder");
    }

    [Theory]
    [InlineData("folder", "is a folder where a file belongs")]
    [InlineData("pipe", "is a pipe, socket or terminal")]
    public void A_checkpoint_path_that_is_not_a_file_is_refused_on_resume(string kind, string words)
    {
        var runs = Path.Combine(Dir, "runs");
        var exp = Experiment();
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "1").code.Should().Be(0);
        var checkpoint = Directory.GetFiles(runs, "last.safetensors", SearchOption.AllDirectories).Single();
        File.Delete(checkpoint);
        if (kind == "folder") Directory.CreateDirectory(checkpoint);
        else Run("mkfifo", checkpoint);
        var clock = Stopwatch.StartNew();
        ShouldBeOneLineNaming(Cli("run", exp, "--runs-dir", runs, "--resume"), checkpoint, words);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "a pipe is never opened to wait for a writer");
    }

    [Fact]
    public void A_dataset_file_that_is_a_named_pipe_is_refused_without_blocking()
    {
        var root = Directory.CreateDirectory(Path.Combine(Dir, "idx")).FullName;
        Run("mkfifo", Path.Combine(root, "train-images-idx3-ubyte"));
        var clock = Stopwatch.StartNew();
        ShouldBeOneLineNaming(Cli("run", Experiment($"{{ plugin: idx, root: {root} }}"), "--runs-dir", Path.Combine(Dir, "runs")),
            Path.Combine(root, "train-images-idx3-ubyte"), "is a pipe, socket or terminal");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    void IDisposable.Dispose()
    {
        foreach (var m in Enumerable.Reverse(mounts)) Run("umount", m);
        Dispose();
    }
}
