namespace RepLab.Tracking;

/// <summary>How often the system metrics are sampled and how many samples make one logged point.</summary>
/// <param name="Interval">Time between samples (MLflow's <c>sampling_interval</c>, 10 s by default).</param>
/// <param name="SamplesPerPoint">Samples aggregated into each logged point (MLflow's <c>samples_before_logging</c>, 1 by default).</param>
public sealed record SystemMetricsSettings(TimeSpan Interval, int SamplesPerPoint = 1);

/// <summary>
/// MLflow's aggregation of the samples taken since the last point: the mean with one decimal, except
/// running totals (<see cref="SystemMetricNames.IsCumulative"/>), whose last value stands. A metric left out
/// of a sample (a failed read) is averaged over the samples that have it.
/// </summary>
public sealed class SystemMetricsAggregator
{
    private readonly Dictionary<string, List<double>> samples = new(StringComparer.Ordinal);

    /// <summary>Adds one sample.</summary>
    public void Add(IReadOnlyDictionary<string, double> sample)
    {
        foreach (var (name, value) in sample)
        {
            if (!samples.TryGetValue(name, out var values)) samples[name] = values = [];
            values.Add(value);
        }
    }

    /// <summary>The point of the samples added since the last call, names under <see cref="SystemMetricNames.Prefix"/>; the samples are cleared.</summary>
    public IReadOnlyDictionary<string, double> Take()
    {
        var point = samples.ToDictionary(
            kv => SystemMetricNames.Prefix + kv.Key,
            kv => SystemMetricNames.IsCumulative(kv.Key) ? kv.Value[^1] : Math.Round(kv.Value.Average(), 1),
            StringComparer.Ordinal);
        samples.Clear();
        return point;
    }
}

/// <summary>
/// The system-metrics monitor of one run, MLflow's <c>SystemMetricsMonitor</c>: a background thread that
/// takes a sample every <see cref="SystemMetricsSettings.Interval"/> and, every
/// <see cref="SystemMetricsSettings.SamplesPerPoint"/> samples, emits their aggregate as
/// <see cref="SystemMetricsSampled"/> with the next step of its own counter (MLflow's publish step). Each
/// sample is taken at the end of its interval, so the CPU share covers the interval just ended; a run
/// shorter than one interval logs none, as in MLflow. Nothing it meets reaches the run: a failed read
/// leaves that metric out, a tracker that throws ends the sampling with one warning.
/// </summary>
public sealed class SystemMetricsSampler : IDisposable
{
    private readonly ITracker tracker;
    private readonly SystemMetricsSettings settings;
    private readonly SystemProbe probe;
    private readonly IDisposable? owned;
    private readonly TextWriter log;
    private readonly ManualResetEventSlim stopping = new();
    private readonly Thread thread;
    private long step;
    private int stopped;

    /// <summary>The name of the sampler's thread (as <c>/proc/self/task/*/comm</c> shows it too).</summary>
    public const string ThreadName = "system-metrics";

    private SystemMetricsSampler(ITracker tracker, SystemMetricsSettings settings, SystemProbe probe, IDisposable? owned, long firstStep, TextWriter log)
    {
        (this.tracker, this.settings, this.probe, this.owned, step, this.log) = (tracker, settings, probe, owned, firstStep, log);
        thread = new Thread(Loop) { IsBackground = true, Name = ThreadName };
    }

    /// <summary>
    /// Starts sampling into <paramref name="tracker"/> (which must take events from another thread), the first
    /// point at step <paramref name="firstStep"/>: 0 for a new run, one past the last for a resumed one. With
    /// <paramref name="gpus"/> (the run uses CUDA) NVML's GPUs are sampled too, when NVML loads.
    /// </summary>
    public static SystemMetricsSampler Start(ITracker tracker, SystemMetricsSettings settings, long firstStep, bool gpus, TextWriter? log = null)
    {
        var nvml = gpus ? NvmlGpu.TryOpen() : null;
        return Start(tracker, settings, firstStep, new SystemProbe(gpu: nvml), nvml, log);
    }

    /// <summary>Starts sampling <paramref name="probe"/> (tests give theirs); <paramref name="owned"/> is disposed once the thread has stopped.</summary>
    internal static SystemMetricsSampler Start(ITracker tracker, SystemMetricsSettings settings, long firstStep, SystemProbe probe, IDisposable? owned, TextWriter? log)
    {
        var sampler = new SystemMetricsSampler(tracker, settings, probe, owned, firstStep, log ?? Console.Error);
        sampler.thread.Start();
        return sampler;
    }

    /// <summary>The step the next point takes.</summary>
    public long NextStep => Interlocked.Read(ref step);

    private void Loop()
    {
        var aggregator = new SystemMetricsAggregator();
        try
        {
            while (true)
            {
                for (var i = 0; i < settings.SamplesPerPoint; i++)
                {
                    if (stopping.Wait(settings.Interval)) return;
                    aggregator.Add(probe.Sample());
                }
                var point = aggregator.Take();
                // Stopped meanwhile: the run's end may be on its way, and no point follows it.
                if (point.Count == 0 || Volatile.Read(ref stopped) != 0) continue;
                tracker.Emit(new SystemMetricsSampled(DateTimeOffset.UtcNow, point, NextStep));
                Interlocked.Increment(ref step);
            }
        }
        catch (Exception e)
        {
            // The sampler's thread must never take the process down; the run's own writes report a lasting fault.
            log.WriteLine($"replab: warning: system metrics stopped ({e.GetType().Name}: {e.Message}); training goes on");
        }
    }

    /// <summary>Stops the thread and waits for it (a point being written is finished first, for up to 5 s): no point follows.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0) return;
        stopping.Set();
        // A thread stuck in a write (a hung file system) is left behind, with what it holds: the process ends it.
        if (thread.Join(TimeSpan.FromSeconds(5)))
        {
            owned?.Dispose();
            stopping.Dispose();
        }
    }
}
