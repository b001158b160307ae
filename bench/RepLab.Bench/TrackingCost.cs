// Tracking cost: what the host's trackers (metrics.jsonl and the local MLflow store) add to a
// training step, against the quickstart's own step (conv-small autoencoder, batch 128).
//
//   dotnet RepLab.Bench.dll tracking [--threads 2] [--steps 30] [--events 20000] [--samples 2000] [--interval 10]
//
// Prints: tracking step_ms=<ms> emit_us=<us per metric> share_log_every_1=<%> share_log_every_10=<%>
//         system_sample_us=<us> system_point_us=<us> system_us_per_step=<us> system_share=<%>
// (the runner logs two metrics per logging step: the loss term and images/s). The system-metrics sampler
// reads one sample (three /proc files and statvfs) and writes one point (eight metrics) per interval
// (default 10 s, MLflow's): per step it costs (sample + point) x step / interval, a share of
// (sample + point) / interval of every step, on a thread beside training.
using System.Diagnostics;
using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Tracking;
using RepLab.Plugins.Encoders.ConvSmall;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Torch;

namespace RepLab.Bench;

internal static class TrackingCost
{
    public static int Run(string[] args)
    {
        var opts = new Options(args);
        torch.set_num_threads(opts.Int("threads", Environment.ProcessorCount));

        // The step: the quickstart's autoencoder on 28x28 images.
        torch.manual_seed(0);
        var shape = new ImageShape(1, 28, 28);
        using var encoder = new ConvSmallEncoder(new ConvSmallOptions()).Build(shape);
        var method = new AutoencoderMethod(new AutoencoderOptions());
        var plan = new TrainingPlan(1, 1, 1, 128);
        method.Build(new MethodSetup(encoder, new EncoderFactory(new ConvSmallEncoder(new ConvSmallOptions()), shape, null, Device.CPU), shape, 0, Device.CPU, plan,
            OptimizerFactory.Defaults("autoencoder", method.Needs, plan)));
        using var x = torch.rand([128, 1, 28, 28]);
        using var indices = torch.arange(128);
        var context = new BenchContext(plan);
        void Step()
        {
            using var scope = torch.NewDisposeScope();
            method.Step(new TrainBatch([], x, null, indices, []), context);
        }
        for (var i = 0; i < 3; i++) Step();
        var steps = opts.Int("steps", 30);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) Step();
        var stepSeconds = clock.Elapsed.TotalSeconds / steps;

        // The trackers, as the runner sets them up.
        var dir = Directory.CreateTempSubdirectory("replab-tracking-bench-").FullName;
        try
        {
            using var jsonl = new RunRecords(dir).OpenWriter(append: false);
            using var mlflow = TrackerFactory.Create(Path.Combine(dir, "mlruns"));
            ITracker[] trackers = [jsonl, mlflow];
            var start = new RunStarted(DateTimeOffset.UtcNow, "bench", "tracking", "0", dir, false,
                Enumerable.Range(0, 40).Select(i => new KeyValuePair<string, string>($"section.key{i}", i.ToString())).ToList(),
                new Dictionary<string, string>());
            foreach (var t in trackers) t.Emit(start);
            var events = opts.Int("events", 20000);
            clock.Restart();
            for (var i = 0; i < events; i++)
            {
                var e = new MetricLogged(DateTimeOffset.UtcNow, i % 2 == 0 ? "loss/recon-mse" : "perf/images-per-second", i, i / 2);
                foreach (var t in trackers) t.Emit(e);
            }
            var emit = clock.Elapsed.TotalSeconds / events;
            var (sample, point) = SystemMetricsCost(trackers, opts.Int("samples", 2000));
            foreach (var t in trackers) t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            var share1 = 2 * emit / stepSeconds * 100;
            var interval = opts.Double("interval", 10);
            var systemPerStep = (sample + point) * stepSeconds / interval;
            Console.WriteLine($"tracking step_ms={stepSeconds * 1000:F1} emit_us={emit * 1e6:F1} share_log_every_1={share1:F3}% share_log_every_10={share1 / 10:F4}% " +
                              $"system_sample_us={sample * 1e6:F1} system_point_us={point * 1e6:F1} system_us_per_step={systemPerStep * 1e6:F3} system_share={systemPerStep / stepSeconds * 100:F5}%");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    /// <summary>Seconds per system-metrics sample (the run's probe of this machine) and per point written through <paramref name="trackers"/>.</summary>
    private static (double Sample, double Point) SystemMetricsCost(ITracker[] trackers, int samples)
    {
        var probe = new SystemProbe();
        var taken = new List<Dictionary<string, double>>(samples);
        for (var i = 0; i < 10; i++) probe.Sample();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < samples; i++) taken.Add(probe.Sample());
        var sample = clock.Elapsed.TotalSeconds / samples;
        var aggregator = new SystemMetricsAggregator();
        clock.Restart();
        for (var i = 0; i < samples; i++)
        {
            aggregator.Add(taken[i]);
            var e = new SystemMetricsSampled(DateTimeOffset.UtcNow, aggregator.Take(), i);
            foreach (var t in trackers) t.Emit(e);
        }
        return (sample, clock.Elapsed.TotalSeconds / samples);
    }
}
