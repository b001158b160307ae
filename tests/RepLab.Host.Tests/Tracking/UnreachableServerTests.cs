using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary>
/// A tracking server that cannot be reached costs a run seconds, not the retry budget, and
/// <c>replab sync</c> against one that does not answer ends at its deadline; nothing is lost: a later
/// sync to a working server (the <see cref="MlflowStandInServer"/>, reached through the same
/// <see cref="FaultyLink"/>, so the same URI) sends every record once.
/// </summary>
public sealed class UnreachableServerTests : CliHarness, IDisposable
{
    private readonly string? savedStore = Environment.GetEnvironmentVariable("REPLAB_LOCAL_STORE");
    private readonly FaultyLink link = new();
    private readonly MlflowStandInServer server = new();

    public UnreachableServerTests() : base("replab-unreachable-")
    {
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_URI", link.Uri.ToString());
        Environment.SetEnvironmentVariable("REPLAB_LOCAL_STORE", Store);
    }

    private string Store => Path.Combine(Dir, "mlruns");

    private string Runs => Path.Combine(Dir, "runs");

    void IDisposable.Dispose()
    {
        link.Dispose();
        server.Dispose();
        Environment.SetEnvironmentVariable("REPLAB_LOCAL_STORE", savedStore);
        Dispose();
    }

    /// <summary>Whether the store marks a server down (<see cref="ServerBreaker"/>'s file).</summary>
    private bool MarkedDown => Directory.GetFiles(Store, "replab-server-*.down").Length > 0;

    private string Experiment(int seed = 1) => TinyExperiment.Write(Dir, $"offline-{seed}", seed: seed);

    /// <summary>The points each metric key got in the run folder's metrics.jsonl.</summary>
    private static Dictionary<string, int> Logged(string runsDir) =>
        Directory.GetFiles(runsDir, "metrics.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "metric")
            .GroupBy(e => e.GetProperty("key").GetString()!).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void A_run_with_a_refused_server_ends_in_seconds_keeps_its_records_and_a_later_sync_sends_them()
    {
        var (code, stdout, stderr) = Cli("run", Experiment(), "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        // (That a refused connection is not retried is MlflowRestClientTests'; what it costs a sweep, bench sweep-tracking's.)
        stderr.Should().Contain($"could not upload run").And.Contain(link.Uri.ToString().TrimEnd('/')).And.Contain("connection refused");
        MarkedDown.Should().BeTrue("the server is marked down for the runs that follow");

        var run = new MlflowFileStore(Store).Runs().Should().ContainSingle().Subject;
        run.Status.Should().Be(RunStatus.Finished);
        var logged = Logged(Runs);
        logged.Should().ContainKey("loss/recon-mse");
        foreach (var (key, count) in logged) MlflowFileStore.ReadMetric(run.Directory, key).Should().HaveCount(count, $"the store keeps every point of {key}");

        // The server is back at the same URI: sync sends everything, once.
        link.Relay(server.Uri);
        var sync = Cli("sync");
        sync.code.Should().Be(0, sync.stderr);
        sync.stdout.Should().Contain("uploaded 1 (");
        var remote = server.Runs.Values.Should().ContainSingle().Subject;
        remote.Status.Should().Be("FINISHED");
        foreach (var (key, count) in logged)
        {
            var points = remote.Metrics.Where(m => m.Key == key).ToList();
            points.Should().HaveCount(count, $"every point of {key} reached the server");
            points.Select(m => m.Step).Should().OnlyHaveUniqueItems();
        }
        MarkedDown.Should().BeFalse("a server that answered is no longer marked down");
    }

    [Fact]
    public void Sync_against_a_server_that_never_answers_ends_at_its_deadline_with_one_clear_line()
    {
        // Two runs made while the server refused connections.
        Cli("run", Experiment(1), "--runs-dir", Runs).code.Should().Be(0);
        Cli("run", Experiment(2), "--runs-dir", Runs).code.Should().Be(0);
        link.Hang();

        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = Cli("sync", "--store", Store, "--deadline", "3s");
        clock.Stop();
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(2.9)).And.BeLessThan(TimeSpan.FromSeconds(12), "the deadline bounds the whole sync (one try alone may take 15 s)");
        link.Accepted.Should().BeGreaterThan(0, "sync tried the server, whatever the runs had found");
        code.Should().Be(1, stdout + stderr);
        stderr.Should().Contain("replab sync: 0/2 runs, 0 metric points sent", "progress goes to stderr");
        stderr.Should().Contain("replab sync: deadline of 3s reached: 0 of 2 runs synced, 0 metric points sent to " + link.Uri.ToString().TrimEnd('/'))
            .And.Contain("run `replab sync` again");
        stderr.Should().NotContain("internal error").And.NotContain("   at ");

        // Without a deadline each request still has its own limit; a working server then takes everything.
        link.Relay(server.Uri);
        var sync = Cli("sync", "--store", Store, "--deadline", "2m");
        sync.code.Should().Be(0, sync.stderr);
        sync.stdout.Should().Contain("checked 2 runs: uploaded 2 (");
        server.Runs.Should().HaveCount(2);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("5x")]
    [InlineData("3 weeks")]
    [InlineData("0")]
    public void A_deadline_that_is_not_a_duration_exits_2_naming_the_option(string deadline)
    {
        var (code, _, stderr) = Cli("sync", "--to", server.Uri.ToString(), "--store", Store, "--deadline", deadline);
        code.Should().Be(2);
        stderr.Should().Contain($"--deadline '{deadline}' is not a duration").And.Contain("5m");
        server.Requests.Should().BeEmpty("nothing is sent with a bad option");
    }
}
