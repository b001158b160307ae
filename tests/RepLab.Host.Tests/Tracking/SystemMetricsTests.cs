using System.Collections.Concurrent;
using System.Text.Json;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary>
/// The system metrics: the /proc parsers on fixture text (tests/fixtures/proc), MLflow's names and
/// aggregation, the probe, the sampler's thread, and the records' rules that keep the sampler's own step
/// counter apart from the training step.
/// </summary>
public sealed class SystemMetricsTests : IDisposable
{
    private static readonly string Proc = Path.Combine(Repo.Root, "tests", "fixtures", "proc");
    private readonly string dir = Directory.CreateTempSubdirectory("replab-system-metrics-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Fixture(string moment, string file) => File.ReadAllText(Path.Combine(Proc, moment, file));

    /// <summary>The names of MLflow 2.12's CPU, disk and network monitors (mlflow/system_metrics/metrics/*.py), as they reach its store.</summary>
    private static readonly string[] MlflowHostNames =
    [
        "system/cpu_utilization_percentage", "system/system_memory_usage_megabytes", "system/system_memory_usage_percentage",
        "system/disk_usage_percentage", "system/disk_usage_megabytes", "system/disk_available_megabytes",
        "system/network_receive_megabytes", "system/network_transmit_megabytes",
    ];

    [Fact]
    public void The_names_are_mlflows()
    {
        SystemMetricNames.Host.Select(n => SystemMetricNames.Prefix + n).Should().Equal(MlflowHostNames);
        new[] { SystemMetricNames.GpuMemoryUsagePercent(1), SystemMetricNames.GpuMemoryUsage(1), SystemMetricNames.GpuUtilization(1) }
            .Should().Equal("gpu_1_memory_usage_percentage", "gpu_1_memory_usage_megabytes", "gpu_1_utilization_percentage");
    }

    [Fact]
    public void Proc_stat_gives_psutils_busy_and_total_ticks_and_the_busy_share_between_two_moments()
    {
        var before = ProcText.Cpu(Fixture("before", "stat"))!.Value;
        // user + nice + system + idle + iowait + irq + softirq + steal; guest (inside user) is not added again.
        before.Total.Should().Be(60_377_929);
        before.Busy.Should().Be(60_377_929 - 46_828_483 - 16_683);
        before.PercentBusyUntil(ProcText.Cpu(Fixture("after", "stat"))!.Value).Should().Be(40.0, "400 of 1,000 ticks were busy");
        before.PercentBusyUntil(before).Should().Be(0, "no time passed");
        new CpuTimes(500, 1000).PercentBusyUntil(new CpuTimes(490, 1100)).Should().Be(0, "a counter that stepped back is no busy time, not a wrapped-around one");
        new CpuTimes(500, 1000).PercentBusyUntil(new CpuTimes(600, 990)).Should().Be(0, "nor is a total that stepped back");
        ProcText.Cpu("cpu  1 2 3\n").Should().BeNull("a line without idle time is not a cpu line we know");
        ProcText.Cpu("intr 1 2 3 4 5\n").Should().BeNull();
        ProcText.Cpu("cpu  1 2 x 4 5 6 7 8\n").Should().BeNull();
    }

    [Fact]
    public void Meminfo_gives_total_and_available_bytes_and_used_is_their_difference()
    {
        var memory = ProcText.Memory(Fixture("before", "meminfo"))!.Value;
        memory.Total.Should().Be(16_318_480UL * 1024);
        memory.Cached.Should().Be((7_654_321UL + 512_345) * 1024, "psutil counts reclaimable slab as cache");
        memory.Used.Should().Be(6_615_508_992, "total - free - buffers - cached, psutil 5.9's used memory");
        ProcText.Memory("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 50 kB\nCached: 60 kB\n")!.Value.Used.Should().Be(90 * 1024, "total - free when caches exceed what is not free");
        ProcText.Memory("MemTotal: 100 kB\nMemAvailable: 50 kB\n").Should().BeNull("without MemFree there is no used memory to report");
        ProcText.Memory("MemTotal: lots kB\nMemAvailable: 5 kB\n").Should().BeNull();
    }

    [Fact]
    public void Net_dev_sums_every_interfaces_receive_and_transmit_bytes_loopback_included()
    {
        ProcText.Network(Fixture("before", "net/dev")).Should().Be(new NetworkBytes(1_000_000 + 50_000_000 + 2_000, 1_000_000 + 2_000_000 + 3_000));
        ProcText.Network("Inter-|   Receive\n face |bytes\n").Should().BeNull("no interface");
        ProcText.Network("  eth0: 1 2 3\n").Should().BeNull("too few columns");
    }

    [Fact]
    public void Disk_metrics_follow_psutils_disk_usage()
    {
        // 100 GB in all, 30 GB free of which 25 GB available to users (5 GB reserved for root).
        var disk = SystemProbe.DiskMetrics(100_000_000_000, 30_000_000_000, 25_000_000_000).ToDictionary(m => m.Name, m => m.Value);
        disk.Should().BeEquivalentTo(new Dictionary<string, double>
        {
            ["disk_usage_megabytes"] = 70_000,
            ["disk_available_megabytes"] = 25_000,
            ["disk_usage_percentage"] = 73.7,  // 70 / (70 + 25), one decimal: what a user can still fill
        });
    }

    [Fact]
    public void A_probe_reports_mlflows_quantities_between_two_moments()
    {
        CopyMoment("before");
        var probe = new SystemProbe(procRoot: dir);
        CopyMoment("after");
        var sample = probe.Sample();
        sample.Keys.Should().BeEquivalentTo(SystemMetricNames.Host, "every source was read");
        sample["cpu_utilization_percentage"].Should().Be(40.0);
        sample["system_memory_usage_megabytes"].Should().BeApproximately(6_855.7056, 1e-9);
        sample["system_memory_usage_percentage"].Should().BeApproximately(41.02725866624833, 1e-9);
        sample["network_receive_megabytes"].Should().BeApproximately(3.0, 1e-12, "since the probe was made, as MLflow's network monitor counts");
        sample["network_transmit_megabytes"].Should().BeApproximately(1.5, 1e-12);
        probe.Sample()["cpu_utilization_percentage"].Should().Be(0, "each sample measures since the previous one");
    }

    [Fact]
    public void A_source_that_cannot_be_read_leaves_out_only_its_metrics()
    {
        CopyMoment("before");
        File.WriteAllText(Path.Combine(dir, "meminfo"), "garbage");
        File.Delete(Path.Combine(dir, "net", "dev"));
        var sample = new SystemProbe(procRoot: dir).Sample();
        sample.Keys.Should().BeEquivalentTo(["cpu_utilization_percentage", "disk_usage_megabytes", "disk_available_megabytes", "disk_usage_percentage"]);
        new SystemProbe(procRoot: Path.Combine(dir, "missing"), diskPath: Path.Combine(dir, "missing")).Sample().Keys
            .Should().BeSubsetOf(SystemMetricNames.Host, "nothing throws when nothing can be read");
    }

    [Fact]
    public void This_machine_gives_exactly_mlflows_names_with_gpu_names_only_where_nvml_loads()
    {
        NvmlGpu.TryOpen(Path.Combine(dir, "libnvidia-ml-absent.so")).Should().BeNull("a library that is not there");
        NvmlGpu.TryOpen("libc.so.6").Should().BeNull("a library without NVML's functions");
        using var nvml = NvmlGpu.TryOpen();
        var probe = new SystemProbe(gpu: nvml);
        Thread.Sleep(20);
        var names = probe.Sample().Keys.Select(k => SystemMetricNames.Prefix + k);
        var gpuNames = Enumerable.Range(0, nvml?.Count ?? 0).SelectMany(i => new[]
        {
            SystemMetricNames.GpuMemoryUsagePercent(i), SystemMetricNames.GpuMemoryUsage(i), SystemMetricNames.GpuUtilization(i),
        }).Select(n => SystemMetricNames.Prefix + n);
        // Without NVML (no driver here) no GPU metric appears and nothing fails; with it, MLflow's three per GPU.
        names.Should().BeEquivalentTo(MlflowHostNames.Concat(gpuNames));
    }

    [Fact]
    public void Points_are_the_samples_mean_with_one_decimal_and_running_totals_last_value()
    {
        var aggregator = new SystemMetricsAggregator();
        aggregator.Add(new Dictionary<string, double> { ["cpu_utilization_percentage"] = 10.0, ["network_receive_megabytes"] = 1.25, ["gpu_0_memory_usage_percentage"] = 50.1 });
        aggregator.Add(new Dictionary<string, double> { ["cpu_utilization_percentage"] = 20.0, ["network_receive_megabytes"] = 2.5 });
        aggregator.Add(new Dictionary<string, double> { ["cpu_utilization_percentage"] = 30.33, ["network_receive_megabytes"] = 3.75, ["gpu_0_memory_usage_percentage"] = 50.4 });
        aggregator.Take().Should().BeEquivalentTo(new Dictionary<string, double>
        {
            ["system/cpu_utilization_percentage"] = 20.1,      // (10 + 20 + 30.33) / 3 = 20.11
            ["system/network_receive_megabytes"] = 3.75,        // the last running total, unrounded
            ["system/gpu_0_memory_usage_percentage"] = 50.2,    // over the two samples that have it: 50.25, to even
        });
        aggregator.Take().Should().BeEmpty("a point consumes its samples");
    }

    [Fact]
    public void The_sampler_emits_points_at_its_own_steps_from_its_first_and_none_once_disposed()
    {
        var tracker = new Recorder();
        var sampler = SystemMetricsSampler.Start(tracker, new SystemMetricsSettings(TimeSpan.FromMilliseconds(50)), firstStep: 7, gpus: false);
        tracker.WaitFor(3);
        sampler.Dispose();
        var points = tracker.Events.OfType<SystemMetricsSampled>().ToList();
        Thread.Sleep(200);
        tracker.Events.Should().HaveCount(points.Count, "nothing is emitted once the sampler is disposed");
        points.Select(p => p.Step).Should().Equal(Enumerable.Range(7, points.Count).Select(i => (long)i));
        points.Should().OnlyContain(p => p.Metrics.Keys.All(k => MlflowHostNames.Contains(k)) && p.Metrics.ContainsKey("system/cpu_utilization_percentage"));
        sampler.NextStep.Should().Be(7 + points.Count);
        sampler.Dispose();
    }

    [Fact]
    public void A_tracker_that_throws_ends_the_sampling_with_one_warning_and_nothing_reaches_the_caller()
    {
        var tracker = new Recorder { Fail = true };
        var log = new StringWriter();
        using (var sampler = SystemMetricsSampler.Start(tracker, new SystemMetricsSettings(TimeSpan.FromMilliseconds(20)), 0, new SystemProbe(), null, log))
        {
            tracker.WaitFor(1);
            Thread.Sleep(100);
        }
        tracker.Events.Should().ContainSingle("the first failure ends the sampling");
        log.ToString().Should().Contain("system metrics stopped (IOException: disk full); training goes on");
    }

    [Fact]
    public void Aggregated_samples_become_one_point_per_samples_per_point()
    {
        var tracker = new Recorder();
        using (SystemMetricsSampler.Start(tracker, new SystemMetricsSettings(TimeSpan.FromMilliseconds(30), SamplesPerPoint: 4), 0, gpus: false))
            tracker.WaitFor(2);
        var points = tracker.Events.OfType<SystemMetricsSampled>().ToList();
        (points[1].Time - points[0].Time).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(4 * 30 - 5), "four samples, 30 ms apart, per point");
        points.Select(p => p.Step).Should().StartWith([0L, 1L]);
    }

    [Fact]
    public void System_points_survive_a_resume_in_the_records_and_the_store_and_set_the_next_system_step()
    {
        var records = new RunRecords(Path.Combine(dir, "run"));
        Directory.CreateDirectory(records.Folder);
        var store = new MlflowFileStore(Path.Combine(dir, "mlruns"));
        var start = new RunStarted(DateTimeOffset.UtcNow, "exp", "run", "hash", records.Folder, false, [], new Dictionary<string, string>());
        using (var writer = new AggregateTracker([records.OpenWriter(append: false), new MlflowTracker(store)]))
        {
            writer.Emit(start);
            for (var step = 0; step < 6; step++) writer.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss/x", step, step));
            for (var step = 0; step < 3; step++) writer.Emit(new SystemMetricsSampled(DateTimeOffset.UtcNow, new Dictionary<string, double> { ["system/cpu_utilization_percentage"] = 10 + step }, step));
        }
        records.Read().NextSystemStep.Should().Be(3);
        // The resumed attempt: the training step goes back to 2, the system counter goes on from 3.
        using (var resumed = new AggregateTracker([records.OpenWriter(append: true), new MlflowTracker(store)]))
        {
            resumed.Emit(start with { Resumed = true });
            resumed.Emit(new RunResumed(DateTimeOffset.UtcNow, 2));
            resumed.Emit(new SystemMetricsSampled(DateTimeOffset.UtcNow, new Dictionary<string, double> { ["system/cpu_utilization_percentage"] = 13 }, 3));
            resumed.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss/x", 2, 2));
        }
        var systemSteps = File.ReadLines(records.MetricsFile).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == "system").Select(r => r.GetProperty("step").GetInt64());
        systemSteps.Should().Equal([0L, 1, 2, 3], "a resume supersedes training steps only");
        records.Read().NextSystemStep.Should().Be(4);
        var run = store.Runs("exp").Single().Directory;
        MlflowFileStore.ReadMetric(run, "system/cpu_utilization_percentage").Select(p => (p.Step, p.Value))
            .Should().Equal([(0L, 10.0), (1L, 11.0), (2L, 12.0), (3L, 13.0)], "the store's resume rule is the training step's, not the system counter's");
    }

    private void CopyMoment(string moment)
    {
        Directory.CreateDirectory(Path.Combine(dir, "net"));
        foreach (var file in new[] { "stat", "meminfo", "net/dev" })
            File.Copy(Path.Combine(Proc, moment, file), Path.Combine(dir, file), overwrite: true);
    }

    /// <summary>Records events from any thread; throws on each when <see cref="Fail"/>.</summary>
    private sealed class Recorder : ITracker
    {
        private readonly ConcurrentQueue<TrackingEvent> events = new();

        public bool Fail { get; init; }

        public IReadOnlyList<TrackingEvent> Events => events.ToList();

        public void Emit(TrackingEvent e)
        {
            events.Enqueue(e);
            if (Fail) throw new IOException("disk full");
        }

        public void WaitFor(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (events.Count < count && DateTime.UtcNow < deadline) Thread.Sleep(5);
            events.Count.Should().BeGreaterThanOrEqualTo(count, "the sampler emits within its interval");
        }

        public void Dispose() { }
    }
}
