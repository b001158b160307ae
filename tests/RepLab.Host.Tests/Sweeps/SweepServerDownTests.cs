using FluentAssertions;
using RepLab.Host.Tests.Tracking;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Sweeps;

/// <summary>
/// A sweep whose tracking server does not answer: the sweep or its first trial finds that out and
/// marks the server down in the store the trials share, so the trials after it start with the
/// server marked down and do not each wait for it; everything stays in the local store.
/// </summary>
[Collection("sweeps")]
public sealed class SweepServerDownTests : CliHarness, IDisposable
{
    private readonly string? savedStore = Environment.GetEnvironmentVariable("REPLAB_LOCAL_STORE");
    private readonly FaultyLink link = new();

    public SweepServerDownTests() : base("replab-sweep-down-")
    {
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_URI", link.Uri.ToString());
        Environment.SetEnvironmentVariable("REPLAB_LOCAL_STORE", Path.Combine(Dir, "mlruns"));
    }

    void IDisposable.Dispose()
    {
        link.Dispose();
        Environment.SetEnvironmentVariable("REPLAB_LOCAL_STORE", savedStore);
        Dispose();
    }

    [Fact]
    public void Trials_after_the_first_start_with_the_unanswering_server_marked_down()
    {
        // A stand-in that accepts connections and never answers: each try waits out the run's 5 s limit.
        link.Hang();
        var exp = SweepRunTests.Experiment(Dir, """
              grid:
                seed: [1, 2, 3, 4]
            """, epochs: 1, trainSize: 32);
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", runs, "--parallel", "1");
        code.Should().Be(0, stdout + stderr);

        var store = new MlflowFileStore(Path.Combine(Dir, "mlruns"));
        store.Runs().Should().HaveCount(5, "the parent run and four trials, all kept locally");
        store.Runs().Should().OnlyContain(r => r.Status == RunStatus.Finished);

        // The sweep's first upload try and the first trial's (its background pass, then its end) reached the
        // stand-in; had every trial paid the wait, there would be at least one connection per trial more.
        link.Accepted.Should().BeInRange(1, 3);
        var logs = Directory.GetFiles(Path.Combine(runs, "_sweeps", "tiny-sweep", "logs"), "*.log")
            .Select(File.ReadAllText).OrderBy(l => l.Contains("could not upload") ? 0 : 1).ToList();
        logs.Should().HaveCount(4);
        logs.Skip(1).Should().OnlyContain(l => l.Contains("was found down") && l.Contains("this run does not try it") && !l.Contains("could not upload"),
            "every later trial starts with the server marked down");
    }
}
