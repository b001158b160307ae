using System.Diagnostics;
using FluentAssertions;
using RepLab.Sweeps;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Sweeps;

/// <summary>
/// Faults at sweep scale through <c>replab sweep</c> with the local executor: a trial that never ends and
/// one that trains past the sweep's trial-timeout are stopped and reported "timed out" while the sweep
/// goes on; a trial whose folder a live run holds is "running elsewhere", waited for, never "failed".
/// </summary>
[Collection("sweeps")]
public class SweepFaultTests() : CliHarness("replab-sweep-fault-")
{
    private string Runs => Path.Combine(Dir, "runs");

    private string Experiment(string sweep) => TinyExperiment.Write(Dir, "faulty", "sweep:\n" + sweep);

    private static SweepPlan Plan(string exp, string runs)
    {
        var registry = RepLab.Host.Plugins.PluginRegistry.Load(quiet: true, [Repo.Fixture("PluginNan")]);
        return SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(registry), runs);
    }

    [Fact]
    public void Trials_past_the_trial_timeout_are_stopped_and_reported_timed_out_while_the_sweep_goes_on()
    {
        var exp = Experiment("""
              trial-timeout: 2s
              executor: { plugin: local, stop-grace-seconds: 6, parallel: 3 }
              grid:
                dataset.plugin: [hanging, synthetic]
                trainer.epochs: [1, 100000]
              exclude: [{ dataset.plugin: hanging, trainer.epochs: 100000 }]
            """);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", Runs);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "a trial that never ends holds the sweep no longer than its limit and grace");
        code.Should().Be(1, "two trials did not finish: " + stdout + stderr);
        stdout.Should().Contain("1 finished, 2 timed out");
        var plan = Plan(exp, Runs);
        var outcomes = plan.Trials.Select(t => TrialStatus.Read(t.RunFolder).Outcome).ToList();
        outcomes.Should().Equal(TrialOutcome.TimedOut, TrialOutcome.Finished, TrialOutcome.TimedOut);
        File.ReadLines(Path.Combine(plan.Trials[2].RunFolder, "metrics.jsonl")).Last().Should().Contain("\"status\":\"TimedOut\"").And.Contain("time limit of 2s reached");
        File.Exists(Path.Combine(plan.Trials[2].RunFolder, "checkpoints", "last.safetensors")).Should().BeTrue("the training trial stopped itself at a step, checkpointed");
        File.ReadAllText(Path.Combine(Runs, "_sweeps", "faulty", "report.md")).Should().Contain("2 timed out");

        // Timed-out trials are left like failed ones; the dry run says so.
        (code, stdout, _) = Cli("sweep", exp, "--runs-dir", Runs, "--dry-run");
        stdout.Should().Contain("skip (timed out; --retry-failed resumes it)");
    }

    [Fact]
    public void A_trial_held_by_a_live_run_is_running_elsewhere_waited_for_and_then_taken_up_never_failed()
    {
        var exp = Experiment("""
              grid:
                encoder.features: [4, 8]
            """);
        var plan = Plan(exp, Runs);
        var held = new RunRecords(plan.Trials[1].RunFolder);
        Directory.CreateDirectory(held.Folder);
        var holder = FolderLock.Exclusive(held.LockFile, () => "held by the test");
        Task<(int, string, string)> sweep;
        try
        {
            sweep = Task.Run(() => Cli("sweep", exp, "--runs-dir", Runs));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && TrialStatus.Read(plan.Trials[0].RunFolder).Outcome != TrialOutcome.Finished) Thread.Sleep(100);
            TrialStatus.Read(plan.Trials[0].RunFolder).Outcome.Should().Be(TrialOutcome.Finished, "the free trial ran");
            TrialStatus.Read(held.Folder).Outcome.Should().Be(TrialOutcome.RunningElsewhere);
            Thread.Sleep(1500);
            sweep.IsCompleted.Should().BeFalse("the sweep waits for the trial another run holds");
        }
        finally
        {
            holder.Dispose();   // a failed assertion must not leave the sweep waiting forever
        }

        var (code, stdout, stderr) = sweep.Result;
        code.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("1 running elsewhere").And.Contain("running elsewhere: its run folder is held by another live run").And.Contain("2 finished");
        TrialStatus.Read(held.Folder).Outcome.Should().Be(TrialOutcome.Finished, "taken up once released");
        var parent = new MlflowFileStore(Path.Combine(Dir, "mlruns")).Runs().Single(r => MlflowFileStore.ReadTags(r.Directory).ContainsKey(TagNames.Sweep));
        parent.Status.Should().Be(RunStatus.Finished, "nothing failed");
    }
}
