using System.Diagnostics;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary><c>replab runs</c>, and a training process killed with SIGKILL in the middle of logging.</summary>
public class RunsCommandTests : IDisposable
{
    private readonly string root = Path.Combine(Directory.CreateTempSubdirectory("replab-runs-").FullName, "mlruns");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);

    [Fact]
    public void A_run_killed_mid_training_stays_readable_and_RUNNING_until_repair_marks_it_FAILED()
    {
        var fixture = Path.Combine(Repo.Fixture("TrackerLoop"), "TrackerLoop.dll");
        File.Exists(fixture).Should().BeTrue($"the fixture is built with the solution ({fixture})");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { fixture, root, "killed", "victim" }) start.ArgumentList.Add(a);
        start.Environment.Remove("MLFLOW_TRACKING_URI");
        using var p = Process.Start(start)!;
        string? line;
        do line = p.StandardOutput.ReadLine(); while (line is not null && !line.StartsWith("ready ", StringComparison.Ordinal));
        // stderr is read only when the fixture has exited: reading it from a live process would block.
        if (line is null) Assert.Fail("the fixture exited before it was ready: " + p.StandardError.ReadToEnd());
        Thread.Sleep(100);
        p.Kill(); // SIGKILL on Unix: no RunEnded, no Dispose, no finally.
        p.WaitForExit();

        var store = new MlflowFileStore(root);
        var run = store.Runs("killed").Should().ContainSingle().Subject;
        run.Status.Should().Be(RunStatus.Running);
        run.EndTime.Should().BeNull();
        run.Directory.Should().Be(line!["ready ".Length..]);
        var loss = MlflowFileStore.ReadMetric(run.Directory, "train/loss");
        loss.Count.Should().BeGreaterThan(20);
        loss.Select(x => x.Step).Should().Equal(Enumerable.Range(0, loss.Count).Select(i => (long)i), "every logged step is there, in order, none torn");
        MlflowFileStore.ReadParams(run.Directory).Should().Contain("optimizer.lr", "0.001");

        var (code, stdout, _) = CliRunner.Run("runs", "--store", root);
        code.Should().Be(0);
        stdout.Should().Contain("victim").And.Contain("RUNNING").And.Contain("method.plugin=simclr").And.Contain("train/loss=");

        (code, stdout, _) = CliRunner.Run("runs", "--store", root, "--repair");
        code.Should().Be(0);
        stdout.Should().Contain($"marked run {run.RunId} (victim) FAILED").And.Contain("FAILED");
        var repaired = MlflowFileStore.TryReadRunInfo(run.Directory)!;
        repaired.Status.Should().Be(RunStatus.Failed);
        repaired.EndTime.Should().BeGreaterThanOrEqualTo(run.StartTime);
        MlflowFileStore.ReadTags(run.Directory).Should().ContainKey("replab.end_reason");
    }

    [Fact]
    public void Damaged_store_files_are_listed_by_name_and_repair_brings_the_runs_back()
    {
        var store = new MlflowFileStore(root);
        string Run(string experiment, string name)
        {
            using var t = new MlflowTracker(store);
            t.Emit(MlflowFileStoreTests.Started(experiment, name));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss", 0.5, 0));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss", 0.25, 1));
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            return t.Run!.Directory;
        }
        var empty = Run("e", "empty-meta");
        var garbage = Run("e", "garbage-meta");
        var truncated = Run("e", "truncated-metric");
        var orphan = Run("lost", "no-experiment-meta");
        File.WriteAllText(Path.Combine(empty, "meta.yaml"), "");
        File.WriteAllText(Path.Combine(garbage, "meta.yaml"), "run_id: [unclosed\n\u0001");
        File.AppendAllText(Path.Combine(truncated, "metrics", "loss"), "17000000 0.1");
        File.Delete(Path.Combine(Path.GetDirectoryName(orphan)!, "meta.yaml"));

        var (code, stdout, stderr) = CliRunner.Run("runs", "--store", root);
        code.Should().Be(0, stderr);
        stdout.Should().Contain($"damaged: {Path.Combine(empty, "meta.yaml")}: unreadable run meta.yaml")
            .And.Contain($"damaged: {Path.Combine(garbage, "meta.yaml")}")
            .And.Contain($"damaged: {Path.Combine(truncated, "metrics", "loss")}: the last line '17000000 0.1' was cut short")
            .And.Contain($"damaged: {Path.Combine(Path.GetDirectoryName(orphan)!, "meta.yaml")}: experiment without meta.yaml")
            .And.Contain("4 damaged files in the store; replab runs --repair fixes them");

        (code, stdout, _) = CliRunner.Run("runs", "--store", root, "--repair");
        code.Should().Be(0);
        stdout.Should().Contain("repaired").And.NotContain("damaged:");
        var runs = store.Runs();
        runs.Select(r => r.RunName).Should().Contain(["empty-meta", "garbage-meta", "truncated-metric", "no-experiment-meta"], "every run is listed again");
        runs.Single(r => r.RunName == "empty-meta").Status.Should().Be(RunStatus.Failed, "a rebuilt run does not claim it finished");
        MlflowFileStore.ReadMetric(truncated, "loss").Select(p => p.Value).Should().Equal([0.5, 0.25], "the complete points are kept");
        store.Experiments().Should().Contain(e => e.Name.StartsWith("recovered-"));
        StoreDoctor.Examine(store).Should().BeEmpty();
    }

    [Fact]
    public void Repair_leaves_runs_of_live_processes_alone()
    {
        var store = new MlflowFileStore(root);
        using var tracker = new MlflowTracker(store);
        tracker.Emit(MlflowFileStoreTests.Started("live", "me"));
        var (code, stdout, _) = CliRunner.Run("runs", "--store", root, "--repair", "--experiment", "live");
        code.Should().Be(0);
        stdout.Should().NotContain("marked run");
        MlflowFileStore.TryReadRunInfo(tracker.Run!.Directory)!.Status.Should().Be(RunStatus.Running);
    }

    [Fact]
    public void Runs_lists_status_key_params_and_final_metrics_per_experiment()
    {
        var store = new MlflowFileStore(root);
        foreach (var (exp, name, status) in new[] { ("a", "done", RunStatus.Finished), ("b", "broke", RunStatus.Failed) })
        {
            using var t = new MlflowTracker(store);
            t.Emit(MlflowFileStoreTests.Started(exp, name));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "knn_top1", 0.5, 1));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "knn_top1", 0.75, 2));
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, status, null));
        }
        var (code, stdout, _) = CliRunner.Run("runs", "--store", root);
        code.Should().Be(0);
        stdout.Should().Contain("done").And.Contain("FINISHED").And.Contain("broke").And.Contain("FAILED")
            .And.Contain("knn_top1=0.75").And.Contain("encoder.plugin=conv-small").And.NotContain("hunter2");
        stdout.Should().NotContain("\u001b", "redirected output carries no colour codes");
        stdout.Split('\n').Should().Contain(l => l.Contains("done") && l.Contains("knn_top1=0.75"), "one line per run when redirected");
        var only = CliRunner.Run("runs", "--store", root, "--experiment", "a").stdout;
        only.Should().Contain("done").And.NotContain("broke");
    }
}
