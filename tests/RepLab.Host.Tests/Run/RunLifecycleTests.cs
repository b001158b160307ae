using System.Diagnostics;
using FluentAssertions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>End-to-end runs of the lifecycle on the synthetic dataset with tiny models.</summary>
public class RunLifecycleTests() : CliHarness("replab-run-")
{
    private string Experiment(string extra = "", int epochs = 2, string method = "autoencoder")
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: tiny
            seed: 3
            dataset: { plugin: synthetic, train-size: 192, test-size: 64 }
            encoder: { plugin: conv-small, features: 16 }
            method: { plugin: {{method}} }
            trainer: { epochs: {{epochs}}, batch-size: 32, threads: 1, log-every: 1 }
            evaluation:
              - { plugin: knn, k: 5 }
            {{extra}}
            """);
        return path;
    }

    private static string RunFolder(string runsRoot) => Directory.GetDirectories(Path.Combine(runsRoot, "tiny")).Single();

    private static Dictionary<string, Tensor> Weights(string runsRoot) =>
        Safetensors.Load(Path.Combine(RunFolder(runsRoot), "checkpoints", "last.safetensors")).tensors;

    [Fact]
    public void A_run_trains_evaluates_and_leaves_its_folder_complete()
    {
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("run", Experiment(), "--runs-dir", runs);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("eval/knn/top1 = ");
        var folder = RunFolder(runs);
        Path.GetFileName(folder).Should().HaveLength(16, "a trial's folder is named by its config hash");
        File.ReadAllText(Path.Combine(folder, "config.yaml")).Should().Contain("plugin: autoencoder");
        File.Exists(Path.Combine(folder, "artifacts", "encoder.safetensors")).Should().BeTrue();
        File.ReadAllText(Path.Combine(folder, "evaluation.json")).Should().Contain("eval/knn/top1");
        var png = File.ReadAllBytes(Path.Combine(folder, "artifacts", "samples", "reconstructions", "epoch-002.png"));
        png.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "reconstruction grids are PNG files");
        var lines = File.ReadAllLines(Path.Combine(folder, "metrics.jsonl"));
        lines.First().Should().Contain("\"kind\":\"start\"");
        lines.Last().Should().Contain("\"status\":\"Finished\"");
        lines.Count(l => l.Contains("loss/recon-mse")).Should().Be(12, "192/32 steps x 2 epochs, logged every step");
        var waits = lines.Where(l => l.Contains("perf/data-wait-fraction"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("value").GetDouble()).ToList();
        waits.Should().HaveCount(12).And.OnlyContain(w => w >= 0 && w <= 1, "the share of training time spent waiting for batches");
        stdout.Should().MatchRegex(@"trained 12 steps in [0-9.]+ s, [0-9]+ images/s; waiting for data [0-9.]+ s \([0-9.]+%\)");

        // The same run in the local MLflow store: finished, with its params, metrics and artifacts.
        var store = Path.Combine(Dir, "mlruns");
        var runMeta = Directory.GetFiles(store, "meta.yaml", SearchOption.AllDirectories).Single(f => File.ReadAllText(f).Contains("run_uuid"));
        var run = Path.GetDirectoryName(runMeta)!;
        File.ReadAllText(runMeta).Should().Contain("status: 3");
        File.ReadAllText(Path.Combine(run, "params", "method.plugin")).Should().Be("autoencoder");
        File.ReadAllLines(Path.Combine(run, "metrics", "loss", "recon-mse")).Should().HaveCount(12);
        File.ReadAllText(Path.Combine(run, "metrics", "eval", "knn", "top1")).Split(' ')[1].Should().Be(
            System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "evaluation.json"))).RootElement.GetProperty("eval/knn/top1").GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        File.Exists(Path.Combine(run, "artifacts", "encoder.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(run, "artifacts", "samples", "reconstructions", "epoch-002.png")).Should().BeTrue();
    }

    [Fact]
    public void The_data_section_trains_on_several_splits_normalises_inside_the_encoder_and_probes_a_label_fraction()
    {
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("run", Experiment("data: { pretrain-splits: [train, unlabeled], normalize: auto, label-fraction: 0.5 }"), "--runs-dir", runs);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("input normalisation (auto): mean [").And.Contain("eval/knn/top1 = ");
        var folder = RunFolder(runs);
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Count(l => l.Contains("loss/recon-mse"))
            .Should().Be(24, "train and unlabeled: 384 images / 32 x 2 epochs");
        var (weights, _) = Safetensors.Load(Path.Combine(folder, "artifacts", "encoder.safetensors"));
        weights.Keys.Should().Contain(["input_mean", "input_std"]).And.Contain(k => k.StartsWith("encoder."));
        weights["input_std"].data<float>().Should().OnlyContain(v => v > 0.05f && v < 0.6f);
        var store = Path.Combine(Dir, "mlruns");
        Directory.GetFiles(store, "replab.data.mean", SearchOption.AllDirectories).Should().ContainSingle();
    }

    [Fact]
    public void Resuming_a_checkpoint_of_another_view_stream_version_warns()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "2").code.Should().Be(0);
        // As a checkpoint from before view_streams was recorded: the key removed.
        var path = Path.Combine(RunFolder(runs), "checkpoints", "last.safetensors");
        var (tensors, meta) = Safetensors.Load(path);
        meta.Remove("view_streams").Should().BeTrue();
        Safetensors.Save(path, tensors, meta);
        foreach (var t in tensors.Values) t.Dispose();
        var (code, _, stderr) = Cli("run", exp, "--runs-dir", runs, "--resume");
        code.Should().Be(0, stderr);
        stderr.Should().Contain("drew augmented views differently (view streams 1, now 2)");
    }

    [Fact]
    public void An_unlabelled_probe_split_is_refused_before_training_not_after()
    {
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("run", Experiment("data: { probe-split: unlabeled }"), "--runs-dir", runs);
        code.Should().Be(2, stderr);
        stderr.Should().Contain("exp.yaml:9:").And.Contain("data.probe-split: synthetic/unlabeled has no labels");
        stdout.Should().NotContain("step 1/", "nothing was trained");
        File.ReadAllLines(Path.Combine(RunFolder(runs), "metrics.jsonl")).Should().NotContain(l => l.Contains("loss/"));
    }

    [Fact]
    public void End_to_end_on_a_slice_of_fashion_mnist()
    {
        var path = Path.Combine(Dir, "fmnist.yaml");
        File.WriteAllText(path, """
            name: fmnist-slice
            dataset: { plugin: idx, limit: 2048 }
            encoder: { plugin: conv-small, features: 64 }
            method: { plugin: autoencoder }
            trainer: { epochs: 2, batch-size: 64, threads: 2 }
            evaluation:
              - { plugin: linear-probe, epochs: 10 }
              - { plugin: knn, k: 20, temperature: 0.1 }
            """);
        var (code, stdout, stderr) = Cli("run", path, "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(0, stderr);
        var metrics = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(
            File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(Dir, "runs", "fmnist-slice")).Single(), "evaluation.json")))!;
        // 2,048 training images, 64 steps: far above chance (0.1), and the probe's number is printed.
        metrics["eval/linear-probe/top1"].Should().BeGreaterThan(0.6);
        metrics["eval/knn/top1"].Should().BeGreaterThan(0.6);
        stdout.Should().Contain("eval/linear-probe/top1 = ");
    }

    [Fact]
    public void Resume_ends_bitwise_equal_to_an_uninterrupted_run()
    {
        var exp = Experiment();
        var straight = Path.Combine(Dir, "straight");
        Cli("run", exp, "--runs-dir", straight).code.Should().Be(0);

        var interrupted = Path.Combine(Dir, "interrupted");
        var (stopCode, stopOut, _) = Cli("run", exp, "--runs-dir", interrupted, "--stop-after-steps", "4");
        stopCode.Should().Be(0, "a planned stop is not an interruption: set -e scripts go on");
        stopOut.Should().Contain("stopped at step 4").And.Contain("--resume");
        File.ReadLines(Path.Combine(RunFolder(interrupted), "metrics.jsonl")).Last().Should().Contain("\"status\":\"Stopped\"", "its own status, not killed");
        var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", interrupted, "--resume");
        code.Should().Be(0, stderr);
        stdout.Should().Contain("resumed from").And.Contain("step 4");
        stderr.Should().NotContain("drew augmented views differently", "the checkpoint is of this version");

        var a = Weights(straight);
        var b = Weights(interrupted);
        a.Keys.Should().BeEquivalentTo(b.Keys);
        foreach (var k in a.Keys) a[k].equal(b[k]).Should().BeTrue($"{k} must be bitwise equal after resume");
        File.ReadAllText(Path.Combine(RunFolder(straight), "evaluation.json"))
            .Should().Be(File.ReadAllText(Path.Combine(RunFolder(interrupted), "evaluation.json")));
    }

    [Fact]
    public void Resume_is_bitwise_with_augmented_views_too()
    {
        var exp = Experiment("views:\n  - [{ plugin: random-resized-crop, scale: [0.5, 1.0] }, { plugin: random-flip }]", method: "autoencoder, from-view: true");
        var straight = Path.Combine(Dir, "straight");
        Cli("run", exp, "--runs-dir", straight).code.Should().Be(0);
        var interrupted = Path.Combine(Dir, "interrupted");
        Cli("run", exp, "--runs-dir", interrupted, "--stop-after-steps", "7").code.Should().Be(0);
        Cli("run", exp, "--runs-dir", interrupted, "--resume").code.Should().Be(0);
        var a = Weights(straight);
        var b = Weights(interrupted);
        foreach (var k in a.Keys) a[k].equal(b[k]).Should().BeTrue($"{k} must be bitwise equal after resume");
    }

    [Fact]
    public void A_method_that_needs_views_is_refused_without_them()
    {
        var (code, _, stderr) = Cli("validate", Experiment(method: "autoencoder, from-view: true"));
        code.Should().Be(2);
        stderr.Should().Contain("needs 1 augmented views");
    }

    [Fact]
    public void A_non_finite_loss_stops_the_run_naming_the_term_and_step()
    {
        var exp = Experiment($"plugins: [{Repo.Fixture("PluginNan")}]", method: "diverging, nan-at: 2");
        var (code, _, stderr) = Cli("run", exp, "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(1);
        stderr.Should().Contain("loss term 'loss/diverging' is NaN at step 2");
        File.ReadAllLines(Path.Combine(RunFolder(Path.Combine(Dir, "runs")), "metrics.jsonl")).Last().Should().Contain("Failed");
        File.ReadAllText(Path.Combine(RunFolder(Path.Combine(Dir, "runs")), "error.log")).Should().Contain("NonFiniteLossException").And.Contain(" at ", "the run's log holds the whole trace");
    }

    [Fact]
    public void Only_user_errors_exit_2_and_a_bug_exits_1_with_one_line_naming_it()
    {
        static void Deliberate() => throw new ArgumentException("trainer.epochs must be positive");
        var (code, _, stderr) = CliHarnessGuard(() => { Deliberate(); return 0; });
        code.Should().Be(2);
        stderr.Trim().Should().Be("replab: trainer.epochs must be positive");
        (code, _, stderr) = CliHarnessGuard(() => new List<int>()[3]);
        code.Should().Be(1, "an index out of range inside .NET is a bug, not a setting to fix");
        stderr.Should().StartWith("replab: internal error: ArgumentOutOfRangeException").And.Contain("--verbose");
        (code, _, stderr) = CliHarnessGuard(() => { string? s = null; return Path.GetFileName(s!.Trim()).Length; });
        code.Should().Be(1);
        stderr.Should().Contain("internal error: NullReferenceException");
    }

    private static (int code, string stdout, string stderr) CliHarnessGuard(Func<int> action)
    {
        var (o, e) = (Console.Out, Console.Error);
        var (so, se) = (new StringWriter(), new StringWriter());
        Console.SetOut(so);
        Console.SetError(se);
        try { return (RepLab.Host.Cli.CliGuard.Run(verbose: false, action), so.ToString(), se.ToString()); }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

    [Fact]
    public async Task Sigint_to_a_child_run_checkpoints_and_exits_cleanly()
    {
        var exp = Experiment(epochs: 200);
        var runs = Path.Combine(Dir, "runs");
        using var child = StartCli(new Dictionary<string, string>(), "run", exp, "--runs-dir", runs);
        var output = child.StandardOutput.ReadToEndAsync();
        var metrics = () => Directory.Exists(Path.Combine(runs, "tiny"))
            ? Directory.GetFiles(Path.Combine(runs, "tiny"), "metrics.jsonl", SearchOption.AllDirectories).FirstOrDefault() : null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (metrics() is not { } m || File.ReadAllLines(m).Count(l => l.Contains("loss/")) < 3)) Thread.Sleep(100);
        Process.Start("kill", ["-INT", child.Id.ToString()])!.WaitForExit();
        ExitsWithin(child, 30_000).Should().BeTrue("the run stops after the current step");
        child.ExitCode.Should().Be(130);
        (await output).Should().Contain("continue with --resume");
        var (tensors, meta) = Safetensors.Load(Path.Combine(RunFolder(runs), "checkpoints", "last.safetensors"));
        tensors.Keys.Should().Contain(k => k.StartsWith("module.encoder."));
        long.Parse(meta["global_step"]).Should().BeGreaterThanOrEqualTo(3);
        File.ReadAllLines(metrics()!).Last().Should().Contain("Killed");
    }

    [Fact]
    public async Task Sigint_during_evaluation_stops_the_run_as_killed_without_half_written_results()
    {
        var exp = Path.Combine(Dir, "long-evaluation.yaml");
        File.WriteAllText(exp, """
            name: tiny
            dataset: { plugin: synthetic, train-size: 1024, test-size: 64 }
            encoder: { plugin: conv-small, features: 16 }
            method: { plugin: autoencoder }
            trainer: { epochs: 1, batch-size: 64, threads: 1 }
            evaluation: [{ plugin: linear-probe, epochs: 10000 }]
            """);
        var runs = Path.Combine(Dir, "runs");
        using var child = StartCli(new Dictionary<string, string>(), "run", exp, "--runs-dir", runs);
        var output = child.StandardOutput.ReadToEndAsync();
        var errors = child.StandardError.ReadToEndAsync();
        string? Metrics() => Directory.Exists(Path.Combine(runs, "tiny")) ? Directory.GetFiles(Path.Combine(runs, "tiny"), "metrics.jsonl", SearchOption.AllDirectories).FirstOrDefault() : null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        // Training logs "epoch" when its only epoch ends; the linear probe's 10,000 epochs follow.
        while (DateTime.UtcNow < deadline && (Metrics() is not { } m || !File.ReadAllText(m).Contains("\"key\":\"epoch\""))) Thread.Sleep(100);
        Thread.Sleep(1500);
        Process.Start("kill", ["-INT", child.Id.ToString()])!.WaitForExit();
        ExitsWithin(child, 30_000).Should().BeTrue("evaluation honours the signal");
        child.ExitCode.Should().Be(130, await errors);
        (await errors).Should().Contain("stopped by signal");
        await output;
        File.ReadAllLines(Metrics()!).Last().Should().Contain("Killed");
        File.Exists(Path.Combine(RunFolder(runs), "evaluation.json")).Should().BeFalse("no half-done evaluation is recorded");
        File.Exists(Path.Combine(RunFolder(runs), "checkpoints", "last.safetensors")).Should().BeTrue("training's checkpoint stands, for --resume");
    }

    [Fact]
    public void Metrics_jsonl_records_every_step_once_across_a_kill_and_a_resume_and_starts_afresh_for_a_new_run()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "4").code.Should().Be(0);
        var metrics = Path.Combine(RunFolder(runs), "metrics.jsonl");
        // What a SIGKILL after step 5 would have left: steps 4 and 5 logged, the checkpoint still at step 4, a line cut short.
        File.AppendAllLines(metrics, [
            "{\"time\":1,\"kind\":\"metric\",\"key\":\"loss/recon-mse\",\"value\":0.5,\"step\":4}",
            "{\"time\":1,\"kind\":\"metric\",\"key\":\"loss/recon-mse\",\"value\":0.5,\"step\":5}",
            "{\"time\":1,\"kind\":\"met"]);
        Cli("run", exp, "--runs-dir", runs, "--resume").code.Should().Be(0);
        var lines = File.ReadAllLines(metrics).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var steps = lines.Where(l => l.GetProperty("kind").GetString() == "metric" && l.GetProperty("key").GetString() == "loss/recon-mse")
            .Select(l => l.GetProperty("step").GetInt64()).ToList();
        steps.Should().Equal(Enumerable.Range(0, 12).Select(i => (long)i), "each of the 12 steps once, in order");
        lines.Should().Contain(l => l.GetProperty("kind").GetString() == "resume" && l.GetProperty("step").GetInt64() == 4);

        Cli("run", exp, "--runs-dir", runs, "--fresh").code.Should().Be(0);
        File.ReadAllLines(metrics).Count(l => l.Contains("\"kind\":\"start\"")).Should().Be(1, "a new run of the folder starts its log afresh");
    }

    [Fact]
    public void A_finished_run_is_reported_not_redone_unless_asked_fresh()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs).code.Should().Be(0);
        var folder = RunFolder(runs);
        var checkpoint = File.ReadAllBytes(Path.Combine(folder, "checkpoints", "last.safetensors"));
        var log = File.ReadAllText(Path.Combine(folder, "metrics.jsonl"));
        var (code, stdout, _) = Cli("run", exp, "--runs-dir", runs);
        code.Should().Be(0);
        stdout.Should().Contain("has already finished in").And.Contain("eval/knn/top1").And.Contain("--fresh");
        File.ReadAllBytes(Path.Combine(folder, "checkpoints", "last.safetensors")).Should().Equal(checkpoint, "its checkpoint is kept, not deleted");
        File.ReadAllText(Path.Combine(folder, "metrics.jsonl")).Should().Be(log, "nothing is redone");
        (code, stdout, _) = Cli("run", exp, "--runs-dir", runs, "--fresh");
        code.Should().Be(0);
        stdout.Should().NotContain("already finished");
        File.ReadAllText(Path.Combine(folder, "metrics.jsonl")).Should().NotBe(log, "--fresh trains again");
    }

    [Fact]
    public void A_full_disk_under_the_mlflow_store_does_not_stop_training_or_lose_a_record()
    {
        // A real full disk: the store on a 1 MiB tmpfs (the tests run as root, as ./replab and CI do).
        var store = Path.Combine(Dir, "mlruns");
        Directory.CreateDirectory(store);
        Sh($"mount -t tmpfs -o size=1m replab-full {store}");
        try
        {
            var exp = Experiment();
            var runs = Path.Combine(Dir, "runs");
            Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "4").code.Should().Be(0);
            var metric = Directory.GetFiles(store, "recon-mse", SearchOption.AllDirectories).Single();
            var before = File.ReadAllText(metric);
            // Fill what is left of the disk.
            using (var filler = new FileStream(Path.Combine(store, ".filler"), FileMode.Create))
            {
                var block = new byte[4096];
                try { while (true) filler.Write(block); }
                catch (IOException) { /* full */ }
            }
            var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", runs, "--resume");
            code.Should().Be(0, "training and evaluation finish: " + stderr + stdout);
            stderr.Should().Contain("cannot be written").And.Contain("No space left on device").And.Contain("metrics.jsonl");
            File.ReadAllLines(Path.Combine(RunFolder(runs), "metrics.jsonl")).Count(l => l.Contains("\"key\":\"loss/recon-mse\""))
                .Should().Be(12, "the run folder's log has every step");
            File.Exists(Path.Combine(RunFolder(runs), "artifacts", "encoder.safetensors")).Should().BeTrue();
            File.ReadAllText(metric).Should().StartWith(before, "what the store held stays");
        }
        finally
        {
            Sh($"umount {store}");
        }
    }

    private static void Sh(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed ({err.Trim()}): this test mounts a tmpfs and needs root, as ./replab test and CI run");
    }

    [Fact]
    public async Task A_signal_during_the_final_upload_stops_it_at_once_and_leaves_the_rest_for_sync()
    {
        // A server that accepts connections and never answers: the final flush would wait its whole limit.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<System.Net.Sockets.TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try { while (true) held.Add(await listener.AcceptTcpClientAsync()); }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException) { }
        });
        try
        {
            var exp = Experiment();
            var runs = Path.Combine(Dir, "runs");
            using var child = StartCli(new Dictionary<string, string>
            {
                ["MLFLOW_TRACKING_URI"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}",
                ["REPLAB_LOCAL_STORE"] = Path.Combine(Dir, "mlruns"),
                // A long limit per try: the run's first try is still waiting when it ends, and the final one when the signal comes.
                ["REPLAB_TRACKING_TIMEOUT"] = "60",
            }, "run", exp, "--runs-dir", runs);
            var output = child.StandardOutput.ReadToEndAsync();
            var errors = child.StandardError.ReadToEndAsync();
            string? Metrics() => Directory.Exists(Path.Combine(runs, "tiny")) ? Directory.GetFiles(Path.Combine(runs, "tiny"), "metrics.jsonl", SearchOption.AllDirectories).FirstOrDefault() : null;
            var deadline = DateTime.UtcNow.AddSeconds(90);
            // The run has ended (its end record is written) and is now shipping its end to the server.
            while (DateTime.UtcNow < deadline && (Metrics() is not { } m || !File.ReadAllText(m).Contains("\"kind\":\"end\""))) Thread.Sleep(100);
            Thread.Sleep(500);
            var signalled = Stopwatch.StartNew();
            Process.Start("kill", ["-INT", child.Id.ToString()])!.WaitForExit();
            ExitsWithin(child, 15_000).Should().BeTrue("the upload honours the signal instead of waiting out its 30 s flush limit");
            signalled.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
            child.ExitCode.Should().Be(130, await errors);
            (await errors).Should().Contain("stopped by signal").And.Contain("replab sync");
            await output;
            File.ReadAllLines(Metrics()!).Last().Should().Contain("Finished", "the run itself finished; only its upload was cut short");
        }
        finally
        {
            listener.Stop();
            await accepting;
            foreach (var c in held) c.Dispose();
        }
    }

    [Fact]
    public void The_tracking_uri_param_records_the_uri_the_run_used()
    {
        Cli("run", Experiment("tracking: { uri: somewhere-else }"), "--runs-dir", Path.Combine(Dir, "runs")).code.Should().Be(0);
        var param = Directory.GetFiles(Path.Combine(Dir, "mlruns"), "tracking.uri", SearchOption.AllDirectories).Single();
        File.ReadAllText(param).Should().Be(Path.Combine(Dir, "mlruns"), "MLFLOW_TRACKING_URI overrides the experiment's tracking.uri, and the param says so");
        Directory.Exists(Path.Combine(Dir, "somewhere-else")).Should().BeFalse();
    }

    [Theory]
    [InlineData("http://env:5000", "from-config", "http://env:5000")]
    [InlineData(null, "from-config", "from-config")]
    [InlineData(null, null, "mlruns")]
    [InlineData("", "  ", "mlruns")]
    public void One_precedence_decides_the_tracking_uri(string? environment, string? configured, string used) =>
        RepLab.Tracking.TrackingTarget.ResolveUri(configured, k => k == "MLFLOW_TRACKING_URI" ? environment : null).Should().Be(used);

    [Fact]
    public void Credentials_in_a_tracking_uri_are_hidden_where_it_is_recorded() =>
        RepLab.Tracking.TrackingTarget.Display("https://alice:s3cret@mlflow.example:443/").Should().Be("https://***@mlflow.example:443/");

    [Fact]
    public void The_mlflow_store_records_every_step_once_across_a_kill_and_a_resume()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "4").code.Should().Be(0);
        var metric = Directory.GetFiles(Path.Combine(Dir, "mlruns"), "recon-mse", SearchOption.AllDirectories).Single();
        var killed = File.ReadAllLines(metric);
        // What a SIGKILL after step 5 would have left in the store: steps 4 and 5, the checkpoint at 4, a line cut short.
        File.AppendAllText(metric, "1700000000000 0.25 4\n1700000000000 0.25 5\n1700000000000 0.2");
        Cli("run", exp, "--runs-dir", runs, "--resume").code.Should().Be(0);
        var lines = File.ReadAllLines(metric);
        lines.Select(l => long.Parse(l.Split(' ')[2])).Should().Equal(Enumerable.Range(0, 12).Select(i => (long)i), "each of the 12 steps once, in order");
        lines.Take(killed.Length + 2).Should().Equal([.. killed, "1700000000000 0.25 4", "1700000000000 0.25 5"], "what the store held stays (a server cannot delete points)");
        lines.Should().OnlyContain(l => l.Split(' ').Length == 3, "the cut line was dropped, not merged into the next point");
    }
}
