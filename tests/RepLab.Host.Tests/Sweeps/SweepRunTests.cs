using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using RepLab.Host.Plugins;
using RepLab.Sweeps;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Sweeps;

/// <summary>Sweeps run end to end with the local executor: trials as real child processes of the built CLI.</summary>
[Collection("sweeps")]
public class SweepRunTests : CliHarness
{
    public SweepRunTests() : base("replab-sweep-")
    {
    }

    /// <summary>The built CLI the trials run as (CliHarness points REPLAB_CLI at it).</summary>
    internal static string Cli_ => Repo.BuiltCli;

    internal static string Experiment(string dir, string grid, string name = "exp.yaml", int epochs = 2, int trainSize = 96)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, $$"""
            name: tiny
            seed: 3
            dataset: { plugin: synthetic, train-size: {{trainSize}}, test-size: 32 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: autoencoder }
            trainer: { epochs: {{epochs}}, batch-size: 16, log-every: 1 }
            evaluation:
              - { plugin: knn, k: 5 }
            sweep:
              name: tiny-sweep
              metric: eval/knn/top1
            {{grid}}
            """);
        return path;
    }

    private string Runs => Path.Combine(Dir, "runs");

    private string Folder => Path.Combine(Runs, "_sweeps", "tiny-sweep");

    private static List<LocalRunInfo> StoreRuns(string store) => new MlflowFileStore(store).Runs().ToList();

    [Fact]
    public void A_sweep_runs_its_trials_reports_a_failure_by_its_first_error_line_and_records_parent_and_child_runs()
    {
        var exp = Experiment(Dir, """
              grid:
                encoder.features: [4, 8]
                trainer.batch-size: [16, 500]
            """);
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", Runs, "--parallel", "2");
        code.Should().Be(1, "two trials failed: " + stdout + stderr);
        stdout.Should().Contain("trial 1/4").And.Contain("failed: trainer.batch-size 500 is larger than the 96 training images");
        stdout.Should().Contain("2 finished, 2 failed");
        var report = File.ReadAllText(Path.Combine(Folder, "report.md"));
        report.Should().Contain("4 trials of `exp.yaml`: 2 finished, 2 failed").And.Contain("| 4 | 500 | - | 1 failed |");
        File.ReadAllText(Path.Combine(Folder, "report.html")).Should().Contain("<svg").And.Contain("eval/knn/top1 vs encoder.features");

        // The store: one parent run with the sweep's definition and report, a child run per trial.
        var store = Path.Combine(Dir, "mlruns");
        var runs = StoreRuns(store);
        var parent = runs.Should().ContainSingle(r => MlflowFileStore.ReadTags(r.Directory).ContainsKey("replab.sweep")).Subject;
        parent.Status.Should().Be(RepLab.Tracking.RunStatus.Failed, "not every trial finished");
        var children = runs.Where(r => r != parent).ToList();
        children.Should().HaveCount(4);
        children.Should().OnlyContain(r => MlflowFileStore.ReadTags(r.Directory)[TagNames.ParentRunId] == parent.RunId);
        children.Select(r => r.RunName).Should().Contain("tiny encoder.features=4 trainer.batch-size=500");
        children.Count(r => r.Status == RepLab.Tracking.RunStatus.Finished).Should().Be(2);
        Directory.GetFiles(Path.Combine(parent.Directory, "artifacts")).Select(Path.GetFileName).Should().Contain(["sweep.yaml", "report.md", "report.csv", "report.html"]);
        MlflowFileStore.ReadMetric(parent.Directory, "trials/failed").Single().Value.Should().Be(2);

        // Again: finished trials are skipped and failed ones left, unless asked; no new runs.
        var again = Cli("sweep", exp, "--runs-dir", Runs);
        again.stdout.Should().Contain("4 trials (2 finished, 2 failed and left, 0 to run)");
        StoreRuns(store).Should().HaveCount(5, "the parent run is reopened and no trial ran");
        var retry = Cli("sweep", exp, "--runs-dir", Runs, "--retry-failed");
        retry.stdout.Should().Contain("2 to run").And.Contain("2 finished, 2 failed");
        StoreRuns(store).Should().HaveCount(7, "the failed trials ran again, as new child runs");
    }

    [Fact]
    public void Adding_a_grid_value_runs_only_the_new_trial_and_a_plain_run_of_a_trial_config_says_it_finished()
    {
        var exp = Experiment(Dir, """
              grid:
                encoder.features: [4]
            """);
        Cli("sweep", exp, "--runs-dir", Runs).code.Should().Be(0);
        var wider = Experiment(Dir, """
              grid:
                encoder.features: [4, 6]
            """);
        var (code, stdout, stderr) = Cli("sweep", wider, "--runs-dir", Runs, "--executor", "local");
        code.Should().Be(0, stderr);
        stdout.Should().Contain("2 trials (1 finished, 0 failed and left, 1 to run)");
        File.ReadAllText(Path.Combine(Folder, "report.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3, "a header and two groups");
        var report = Cli("report", "tiny-sweep", "--runs-dir", Runs);
        report.code.Should().Be(0, report.stderr);
        report.stdout.Should().Contain("2 trials of `exp.yaml`: 2 finished").And.Contain("and to the sweep's parent run");
        Cli("report", "tiny-swep", "--runs-dir", Runs).stderr.Should().Contain("no sweep 'tiny-swep'").And.Contain("did you mean 'tiny-sweep'");
        // The trial's config, run by hand, lands in the same run folder: it is finished.
        var single = Cli("run", wider, "encoder.features=6", "--runs-dir", Runs);
        single.stdout.Should().Contain("has already finished");
    }

    [Fact]
    public void Report_groups_trials_by_settings_without_the_seed_with_mean_standard_deviation_and_count()
    {
        var exp = Experiment(Dir, """
              grid:
                encoder.features: [4, 8]
              seeds: [0, 1, 2]
            """);
        var plan = SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), Runs);
        // Run folders as finished runs leave them, with known results.
        double[] values = [0.50, 0.70, 0.60, 0.90, 0.80, 0.85];
        foreach (var (t, v) in plan.Trials.Zip(values))
        {
            Directory.CreateDirectory(t.RunFolder);
            File.WriteAllText(Path.Combine(t.RunFolder, "metrics.jsonl"), "{\"time\":1,\"kind\":\"start\"}\n{\"time\":2,\"kind\":\"end\",\"status\":\"Finished\",\"reason\":null}\n");
            File.WriteAllText(Path.Combine(t.RunFolder, "evaluation.json"), JsonSerializer.Serialize(new Dictionary<string, double> { ["eval/knn/top1"] = v }));
        }
        var report = SweepReport.Build(plan, null, "eval/knn/top1");
        report.Groups.Select(g => g.Describe()).Should().Equal(["encoder.features=8", "encoder.features=4"], "best mean first");
        var best = report.Groups[0].Metrics["eval/knn/top1"];
        best.Mean.Should().BeApproximately(0.85, 1e-12);
        best.Std.Should().BeApproximately(0.05, 1e-12, "sample standard deviation of 0.9, 0.8, 0.85");
        best.Count.Should().Be(3);
        report.Groups[1].Metrics["eval/knn/top1"].Std.Should().BeApproximately(0.1, 1e-12);
        report.Csv().Should().StartWith("encoder.features,eval/knn/top1 mean,eval/knn/top1 std,eval/knn/top1 n,").And.Contain("\n8,0.8500,0.0500,3,");
        report.Markdown().Should().Contain("| 8 | 0.8500 ± 0.0500 (3) | 3 finished |");
        var html = report.Html();
        html.Should().Contain("<svg").And.Contain("0.8500 &#177; 0.0500 (n=3)").And.NotContain("<script");
        var (code, _, stderr) = Cli("report", exp, "--runs-dir", Runs);
        code.Should().Be(2, "no sweep.json yet: the sweep never ran");
        stderr.Should().Contain("holds no sweep.json");
    }

    [Fact]
    public void A_sweep_killed_with_its_children_resumes_finished_trials_skipped_interrupted_ones_from_checkpoints_and_reports_the_same()
    {
        const string grid = """
              grid:
                encoder.features: [4, 6, 8]
            """;
        var exp = Experiment(Dir, grid, epochs: 6, trainSize: 128);
        // The sweep as its own process group (setsid), so the kill takes its children too.
        var start = new ProcessStartInfo("setsid", ["dotnet", Cli_, "sweep", exp, "--runs-dir", Runs]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["REPLAB_CLI"] = Cli_;
        using var sweep = Process.Start(start)!;
        var plan = SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), Runs);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var secondCheckpoint = Path.Combine(plan.Trials[1].RunFolder, "checkpoints", "last.safetensors");
        while (DateTime.UtcNow < deadline && !File.Exists(secondCheckpoint)) Thread.Sleep(20);
        File.Exists(secondCheckpoint).Should().BeTrue("the second trial checkpointed its first epoch");
        Process.Start("kill", ["-KILL", "--", $"-{sweep.Id}"])!.WaitForExit();
        sweep.WaitForExit(10_000).Should().BeTrue();
        TrialStatus.Read(plan.Trials[0].RunFolder).Outcome.Should().Be(TrialOutcome.Finished);
        // The kill reaches the trials' processes a moment after the sweep's: until then a trial holds its folder.
        while (DateTime.UtcNow < deadline && TrialStatus.Read(plan.Trials[1].RunFolder).Outcome == TrialOutcome.RunningElsewhere) Thread.Sleep(20);
        TrialStatus.Read(plan.Trials[1].RunFolder).Outcome.Should().Be(TrialOutcome.Running, "killed: no end record, and nobody holds it");

        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", Runs);
        code.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("3 trials (1 finished, 0 failed and left, 2 to run)");
        File.ReadAllText(Path.Combine(plan.Trials[1].RunFolder, "metrics.jsonl")).Should().Contain("\"kind\":\"resume\"", "the interrupted trial continued from its checkpoint");

        // The same sweep, never interrupted, elsewhere: the same report.
        var otherRuns = Path.Combine(Dir, "runs-straight");
        Cli("sweep", exp, "--runs-dir", otherRuns).code.Should().Be(0);
        File.ReadAllText(Path.Combine(otherRuns, "_sweeps", "tiny-sweep", "report.csv"))
            .Should().Be(File.ReadAllText(Path.Combine(Folder, "report.csv")));
        File.ReadAllText(Path.Combine(otherRuns, "_sweeps", "tiny-sweep", "report.md"))
            .Should().Be(File.ReadAllText(Path.Combine(Folder, "report.md")));
    }
}
