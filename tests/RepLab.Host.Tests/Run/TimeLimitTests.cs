using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// A run's own time limit (<c>--time-limit</c>) and its signals while it loads: a run that trains past
/// its limit checkpoints and ends "timed out" (exit 124); one stuck in a call that never returns (a
/// dataset whose read blocks) is ended by the session a grace later; SIGTERM while loading ends it the same way.
/// </summary>
public class TimeLimitTests() : CliHarness("replab-time-limit-")
{
    private string Experiment(string dataset, int epochs = 1) => TinyExperiment.Write(Dir, "limited", dataset: dataset, epochs: epochs);

    private string Runs => Path.Combine(Dir, "runs");

    private string LastRecord => File.ReadLines(Directory.GetFiles(Runs, "metrics.jsonl", SearchOption.AllDirectories).Single()).Last();

    /// <summary>The built CLI as a child process with a one-second stop grace.</summary>
    private Process Start(params string[] args) =>
        StartCli(new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = Path.Combine(Dir, "mlruns"), ["REPLAB_STOP_GRACE"] = "1" }, args);

    [Fact]
    public void A_run_past_its_time_limit_checkpoints_ends_timed_out_with_exit_124_and_resumes()
    {
        var exp = Experiment("{ plugin: synthetic, train-size: 64, test-size: 16 }", epochs: 100000);
        var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", Runs, "--time-limit", "2s");
        code.Should().Be(124, stderr);
        stderr.Should().Contain("time limit of 2s reached");
        stdout.Should().Contain("continue with --resume");
        LastRecord.Should().Contain("\"status\":\"TimedOut\"");
        Directory.GetFiles(Runs, "last.safetensors", SearchOption.AllDirectories).Should().ContainSingle();
        Cli("run", exp, "--runs-dir", Runs, "--resume", "--time-limit", "1s").code.Should().Be(124, "resumed, and stopped again at its new limit");
        File.ReadAllText(Directory.GetFiles(Runs, "metrics.jsonl", SearchOption.AllDirectories).Single()).Should().Contain("\"kind\":\"resume\"");
        Cli("run", exp, "--runs-dir", Runs, "--time-limit", "soon").stderr.Should().Contain("--time-limit 'soon' is not a duration");
    }

    [Fact]
    public void A_run_stuck_in_a_read_that_never_returns_is_ended_at_its_time_limit_and_a_grace()
    {
        using var child = Start("run", Experiment("{ plugin: hanging }"), "--runs-dir", Runs, "--time-limit", "2s");
        var errors = child.StandardError.ReadToEndAsync();
        ExitsWithin(child, 30_000).Should().BeTrue("the session ends a run that does not stop by itself");
        child.ExitCode.Should().Be(124, errors.Result);
        errors.Result.Should().Contain("did not stop within 1s");
        LastRecord.Should().Contain("\"status\":\"TimedOut\"");
    }

    [Fact]
    public void Sigterm_while_loading_ends_the_run_even_when_the_load_never_returns()
    {
        using var child = Start("run", Experiment("{ plugin: hanging }"), "--runs-dir", Runs);
        var errors = child.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !Directory.GetFiles(Dir, "metrics.jsonl", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains("\"kind\":\"start\"")))
            Thread.Sleep(100);
        Process.Start("kill", ["-TERM", child.Id.ToString()])!.WaitForExit();
        ExitsWithin(child, 30_000).Should().BeTrue("SIGTERM is honoured while loading");
        child.ExitCode.Should().Be(130, errors.Result);
        LastRecord.Should().Contain("\"status\":\"Killed\"");
    }
}
