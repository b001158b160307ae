using System.Text.Json;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// System metrics in real runs (in-process CLI, a short sampling interval): MLflow's <c>system/</c> histories
/// at steps 0..k in the run's records and its local MLflow store, none when turned off, the counter carried
/// across a resume, and the sampler stopped whichever way the run ends.
/// </summary>
public sealed class SystemMetricsRunTests() : CliHarness("replab-system-metrics-run-")
{
    private string Runs => Path.Combine(Dir, "runs");

    /// <summary>A run of about a second and a half on the CPU (so no GPU metrics, whatever the machine).</summary>
    private string Experiment(string systemMetrics, int epochs = 12) =>
        TinyExperiment.Write(Dir, "sys", $"tracking: {{ system-metrics: {systemMetrics} }}", "{ plugin: synthetic, train-size: 192, test-size: 32 }", epochs: epochs);

    private string RunFolder => Directory.GetDirectories(Path.Combine(Runs, "sys")).Single();

    private string StoreRun => Path.GetDirectoryName(Directory.GetFiles(Path.Combine(Dir, "mlruns"), "meta.yaml", SearchOption.AllDirectories)
        .Single(f => File.ReadAllText(f).Contains("run_uuid")))!;

    private List<JsonElement> Records() => File.ReadLines(Path.Combine(RunFolder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private List<JsonElement> SystemRecords() => Records().Where(r => r.GetProperty("kind").GetString() == "system").ToList();

    private static readonly string[] HostNames = SystemMetricNames.Host.Select(n => SystemMetricNames.Prefix + n).ToArray();

    /// <summary>The run's files, to show that nothing is written once the run has returned.</summary>
    private string Snapshot() =>
        string.Join("\n", Directory.GetFiles(Dir, "*", SearchOption.AllDirectories).Where(f => f.Contains("metrics")).Order()
            .Select(f => f + "=" + new FileInfo(f).Length));

    private void NothingFollowsTheEnd()
    {
        Records().Last().GetProperty("kind").GetString().Should().Be("end", "the sampler stops before the run's end is recorded");
        var before = Snapshot();
        Thread.Sleep(600);
        Snapshot().Should().Be(before, "the sampler's thread is gone once the run has returned");
    }

    [Fact]
    public void A_run_logs_mlflows_system_metrics_at_steps_0_to_k_in_its_records_and_its_store()
    {
        var (code, stdout, stderr) = Cli("run", Experiment("{ interval: 0.1 }"), "--runs-dir", Runs, "+trainer.device=cpu");
        code.Should().Be(0, stderr + stdout);
        var points = SystemRecords();
        points.Should().HaveCountGreaterThanOrEqualTo(3, "the run lasts several intervals");
        points.Select(p => p.GetProperty("step").GetInt64()).Should().Equal(Enumerable.Range(0, points.Count).Select(i => (long)i));
        points.Should().OnlyContain(p => p.GetProperty("metrics").EnumerateObject().Select(m => m.Name).Order().SequenceEqual(HostNames.Order()));
        var start = Records().First(r => r.GetProperty("kind").GetString() == "start").GetProperty("time").GetInt64();
        points.Should().OnlyContain(p => p.GetProperty("time").GetInt64() >= start, "the sampler starts after the run's start");

        var store = StoreRun;
        MlflowFileStore.MetricKeys(store).Where(k => k.StartsWith(SystemMetricNames.Prefix, StringComparison.Ordinal)).Should().BeEquivalentTo(HostNames);
        foreach (var name in HostNames)
        {
            var history = MlflowFileStore.ReadMetric(store, name);
            history.Select(p => p.Step).Should().Equal(points.Select(p => p.GetProperty("step").GetInt64()), name);
            history.Select(p => p.Value).Should().Equal(points.Select(p => p.GetProperty("metrics").GetProperty(name).GetDouble()), name);
        }
        MlflowFileStore.ReadMetric(store, "system/cpu_utilization_percentage").Should().OnlyContain(p => p.Value >= 0 && p.Value <= 100);
        MlflowFileStore.ReadMetric(store, "system/system_memory_usage_megabytes").Should().OnlyContain(p => p.Value > 0);
        NothingFollowsTheEnd();
    }

    [Fact]
    public void Turned_off_no_system_metric_is_logged()
    {
        var (code, _, stderr) = Cli("run", Experiment("{ enabled: false, interval: 0.1 }"), "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        SystemRecords().Should().BeEmpty();
        Directory.Exists(Path.Combine(StoreRun, "metrics", "system")).Should().BeFalse();
        Records().Should().Contain(r => r.GetProperty("kind").GetString() == "metric", "the run itself logged");
    }

    [Fact]
    public void A_resumed_run_continues_the_system_step_counter_in_its_records_and_its_store()
    {
        var exp = Experiment("{ interval: 0.1 }", epochs: 16);
        Cli("run", exp, "--runs-dir", Runs, "--stop-after-steps", "60").code.Should().Be(0);
        var first = SystemRecords().Count;
        first.Should().BeGreaterThan(0, "the first attempt lasted several intervals");
        var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", Runs, "--resume");
        code.Should().Be(0, stderr + stdout);
        var steps = SystemRecords().Select(p => p.GetProperty("step").GetInt64()).ToList();
        steps.Should().HaveCountGreaterThan(first, "the resumed attempt logged too");
        steps.Should().Equal(Enumerable.Range(0, steps.Count).Select(i => (long)i), "the resumed attempt goes on from the last step + 1");
        foreach (var name in HostNames)
            MlflowFileStore.ReadMetric(StoreRun, name).Select(p => p.Step).Should().Equal(steps, $"{name}: every step once in the one store run");
        NothingFollowsTheEnd();
    }

    [Fact]
    public void A_failed_run_stops_its_sampler_before_its_end()
    {
        var exp = TinyExperiment.Write(Dir, "sys", "tracking: { system-metrics: { interval: 0.1 } }", "{ plugin: synthetic, train-size: 192, test-size: 16 }",
            method: "diverging, nan-at: 100", epochs: 10);
        var (code, _, stderr) = Cli("run", exp, "--runs-dir", Runs);
        code.Should().NotBe(0);
        stderr.Should().Contain("is NaN at step 100");
        SystemRecords().Should().NotBeEmpty("the run lasted several intervals");
        Records().Last().GetProperty("status").GetString().Should().Be("Failed");
        NothingFollowsTheEnd();
    }
}
