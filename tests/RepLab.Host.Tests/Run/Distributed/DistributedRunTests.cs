using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;
using RepLab.Host.Run.Distributed;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Run.Distributed;

/// <summary>
/// Data-parallel runs of the real CLI over real Gloo: two processes of half the batch each against
/// one process of the whole batch (the same weights after k steps, to a stated tolerance), and a rank
/// killed mid-training (the run ends naming it, the checkpoint resumes to the bits of a run that was
/// never interrupted).
/// </summary>
public sealed partial class DistributedRunTests() : CliHarness("replab-ddp")
{
    /// <summary>
    /// How far two processes may drift from one after three steps: the sums of gradients are taken in
    /// another order (half batches, then an all-reduce), so float32 rounding differs by a few ulps per
    /// step; through LARS or SGD and three steps that stays far below 1e-4 of a weight's scale.
    /// </summary>
    private const double Tolerance = 1e-4;

    private const string Views = "views:\n  - &v [ { plugin: random-resized-crop, scale: [0.5, 1.0] }, { plugin: random-flip } ]\n  - *v";

    private string Write(string name, string method, string encoder, int processes, bool sync, int trainSize = 64, int epochs = 1, string extraTrainer = "", int timeout = 20)
    {
        var path = Path.Combine(Dir, $"{name}-{processes}.yaml");
        var distributed = processes == 1 ? "" : $", distributed: {{ processes: {processes}, sync-batch-norm: {(sync ? "true" : "false")}, timeout: {timeout} }}";
        File.WriteAllLines(path,
        [
            $"name: {name}", "seed: 5", $"dataset: {{ plugin: synthetic, train-size: {trainSize}, test-size: 16 }}", $"encoder: {encoder}", $"method: {method}", Views,
            $"trainer: {{ epochs: {epochs}, batch-size: 16, threads: 2, log-every: 1{extraTrainer}{distributed} }}",
        ]);
        return path;
    }

    private (int Code, string Out, string Err) Run(string experiment, string runs, params string[] more)
    {
        // Options go before the overrides (a word after "--runs-dir X" would be read as an override anyway).
        var (options, overrides) = (more.Where(a => a.StartsWith("--", StringComparison.Ordinal)), more.Where(a => !a.StartsWith("--", StringComparison.Ordinal)));
        using var cli = StartCli(new Dictionary<string, string>(), ["run", experiment, .. overrides, "--runs-dir", runs, .. options]);
        var output = cli.StandardOutput.ReadToEndAsync();
        var error = cli.StandardError.ReadToEndAsync();
        ExitsWithin(cli, 300_000).Should().BeTrue("a run of a few steps ends");
        return (cli.ExitCode, output.Result, error.Result);
    }

    private static Dictionary<string, Tensor> Checkpoint(string runs) =>
        Safetensors.Load(Directory.GetFiles(runs, "last.safetensors", SearchOption.AllDirectories).Single()).tensors;

    /// <summary>Trains <paramref name="method"/> for three steps in one process and in two; the two checkpoints' tensors, by name.</summary>
    private (Dictionary<string, Tensor> One, Dictionary<string, Tensor> Two) OneAndTwo(string name, string method, string encoder, bool sync)
    {
        foreach (var n in new[] { 1, 2 })
        {
            var (code, _, err) = Run(Write(name, method, encoder, n, sync, extraTrainer: ", max-steps: 3"), Path.Combine(Dir, $"runs{n}"));
            code.Should().Be(0, err);
        }
        return (Checkpoint(Path.Combine(Dir, "runs1")), Checkpoint(Path.Combine(Dir, "runs2")));
    }

    private static void ShouldMatch(Dictionary<string, Tensor> one, Dictionary<string, Tensor> two, string prefix, int atLeast = 4)
    {
        var compared = 0;
        foreach (var (key, a) in one.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && kv.Value.dtype == ScalarType.Float32))
        {
            var b = two[key];
            using var diff = (a - b).abs().max();
            using var scale = a.abs().max();
            diff.item<float>().Should().BeLessThanOrEqualTo((float)(Tolerance * (1 + scale.item<float>())), key);
            compared++;
        }
        compared.Should().BeGreaterThanOrEqualTo(atLeast, "the checkpoints hold the trained tensors");
    }

    [Fact]
    public void Two_processes_equal_one_for_a_model_without_batch_norm()
    {
        var (one, two) = OneAndTwo("plain", "{ plugin: simclr, hidden-dim: 32, output-dim: 16, head-bn: false }", "{ plugin: conv-small, features: 16, norm: none }", sync: false);
        ShouldMatch(one, two, "module.");
        // The optimizer's state is compared too: it exists only after steps, so two runs that did nothing cannot pass.
        ShouldMatch(one, two, "optim.");
    }

    [Fact]
    public void Simclr_with_gathered_negatives_and_synchronised_batch_norm_equals_one_process()
    {
        var (one, two) = OneAndTwo("simclr", "{ plugin: simclr, hidden-dim: 32, output-dim: 16 }", "{ plugin: conv-small, features: 16 }", sync: true);
        ShouldMatch(one, two, "module.");
        one.Keys.Should().Contain(k => k.EndsWith("running_mean", StringComparison.Ordinal), "batch norm's statistics are compared too");
    }

    [Fact]
    public void Moco_v2_queue_holds_the_keys_one_process_would_enqueue()
    {
        var (one, two) = OneAndTwo("moco", "{ plugin: moco-v2, hidden-dim: 32, output-dim: 16, queue-size: 64 }", "{ plugin: conv-small, features: 16 }", sync: true);
        ShouldMatch(one, two, "module.queue.", atLeast: 1);
        one["module.queue.pointer"].item<long>().Should().Be(48, "three steps of 16 keys");
        two["module.queue.pointer"].item<long>().Should().Be(48);
        ShouldMatch(one, two, "module.encoder.");
    }

    /// <summary>
    /// Every other shipped method, as its Fashion-MNIST experiment trains it (its encoder, views and
    /// optimizer), for three steps of 32 images: two processes with synchronised batch norm log the losses
    /// of one process at every step. Losses, not weights: with Adam, a parameter whose gradient is
    /// mathematically zero (a conv bias before batch norm) moves by plus or minus lr on the sign of float
    /// noise, which no tolerance on weights survives, while the losses (which such a bias cannot change)
    /// compare cleanly. Jigsaw's dropout is turned off: libtorch draws dropout masks inside the op, from
    /// each rank's generator, so they cannot follow the global batch (stated in the README).
    /// </summary>
    [Theory]
    [InlineData("quickstart")]
    [InlineData("denoising-autoencoder")]
    [InlineData("vae")]
    [InlineData("dcgan")]
    [InlineData("inpainting")]
    [InlineData("layerwise-autoencoder")]
    [InlineData("rotation")]
    [InlineData("jigsaw", "+method.dropout=0")]
    [InlineData("byol")]
    public void Each_shipped_method_trains_in_two_processes_as_in_one(string experimentName, params string[] extra)
    {
        var experiment = Path.Combine(Repo.Root, "experiments", "fashion-mnist", experimentName + ".yaml");
        var losses = new List<Dictionary<(string, long), double>>();
        foreach (var n in new[] { 1, 2 })
        {
            string[] overrides = ["+trainer.max-steps=3", "trainer.batch-size=32", "trainer.threads=2", "trainer.log-every=1", "~evaluation", .. extra,
                .. n == 1 ? Array.Empty<string>() : ["+trainer.distributed={processes: 2, sync-batch-norm: true, timeout: 60}"]];
            var runs = Path.Combine(Dir, $"runs{n}");
            var (code, _, err) = Run(experiment, runs, overrides);
            code.Should().Be(0, err);
            losses.Add(Losses(runs));
        }
        losses[0].Keys.Should().BeEquivalentTo(losses[1].Keys);
        losses[0].Select(kv => kv.Key.Item2).Distinct().Should().HaveCount(3, "every step's losses are compared");
        foreach (var (key, one) in losses[0])
            losses[1][key].Should().BeApproximately(one, Tolerance * (1 + Math.Abs(one)), $"{key.Item1} at step {key.Item2}");
    }

    /// <summary>Every loss the run logged, by key and step.</summary>
    private static Dictionary<(string, long), double> Losses(string runs) =>
        File.ReadLines(Directory.GetFiles(runs, "metrics.jsonl", SearchOption.AllDirectories).Single())
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == "metric" && r.GetProperty("key").GetString()!.StartsWith("loss/", StringComparison.Ordinal))
            .ToDictionary(r => (r.GetProperty("key").GetString()!, r.GetProperty("step").GetInt64()), r => r.GetProperty("value").GetDouble());

    [GeneratedRegex(@"rank 1: pid (\d+)")]
    private static partial Regex RankPid();

    /// <summary>Starts a two-rank run of <paramref name="experiment"/> and returns the CLI, its stderr and rank 1's pid once the first checkpoint exists.</summary>
    private (Process Cli, Task<string> Error, int Pid) StartAndWaitForCheckpoint(string experiment, string runs, Dictionary<string, string> environment)
    {
        var cli = StartCli(environment, "run", experiment, "--runs-dir", runs);
        var error = cli.StandardError.ReadToEndAsync();
        int? pid = null;
        string? line;
        while (pid is null && (line = cli.StandardOutput.ReadLine()) is not null)
            if (RankPid().Match(line) is { Success: true } m) pid = int.Parse(m.Groups[1].Value);
        pid.Should().NotBeNull("the launcher names each rank's process");
        _ = cli.StandardOutput.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!(Directory.Exists(runs) && Directory.GetFiles(runs, "last.safetensors", SearchOption.AllDirectories).Length > 0) && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
        return (cli, error, pid!.Value);
    }

    [Fact]
    public void A_hung_rank_stops_the_run_at_the_collective_timeout_and_is_named()
    {
        var experiment = Write("hung", "{ plugin: simclr, hidden-dim: 32, output-dim: 16 }", "{ plugin: conv-small, features: 16 }", 2, sync: true, trainSize: 256, epochs: 20, timeout: 4);
        var (cli, error, pid) = StartAndWaitForCheckpoint(experiment, Path.Combine(Dir, "hung"), new Dictionary<string, string> { ["REPLAB_STOP_GRACE"] = "2" });
        using (cli)
        {
            RankLauncher.Signal(pid, 19).Should().Be(0, "SIGSTOP freezes rank 1");
            ExitsWithin(cli, 60_000).Should().BeTrue("rank 0 gives up at the collective timeout and the launcher kills the frozen rank");
            cli.ExitCode.Should().NotBe(0);
            error.Result.Should().MatchRegex(@"rank 1 \(no sign of life for \d+ s, last at step \d+\)").And.Contain("stopped answering")
                .And.Contain($"rank 1 (pid {pid}) did not stop");
        }
    }

    [Fact]
    public void A_killed_rank_ends_the_run_naming_it_and_resume_ends_bitwise_equal_to_an_uninterrupted_run()
    {
        var experiment = Write("killed", "{ plugin: simclr, hidden-dim: 32, output-dim: 16 }", "{ plugin: conv-small, features: 16 }", 2, sync: true, trainSize: 256, epochs: 6);
        var whole = Run(experiment, Path.Combine(Dir, "whole"));
        whole.Code.Should().Be(0, whole.Err);

        var runs = Path.Combine(Dir, "cut");
        var (cli, error, pid) = StartAndWaitForCheckpoint(experiment, runs, []);
        using (cli)
        {
            Process.GetProcessById(pid).Kill();
            ExitsWithin(cli, 120_000).Should().BeTrue("the other rank stops within the collective timeout");
            cli.ExitCode.Should().NotBe(0);
            error.Result.Should().Contain("rank 1 of 2").And.Contain("SIGKILL");
        }
        Directory.GetFiles(runs, "metrics.jsonl", SearchOption.AllDirectories).Should().ContainSingle();

        var resumed = Run(experiment, runs, "--resume");
        resumed.Code.Should().Be(0, resumed.Err);
        resumed.Out.Should().Contain("resumed from");
        var (a, b) = (Checkpoint(Path.Combine(Dir, "whole")), Checkpoint(runs));
        a.Keys.Should().BeEquivalentTo(b.Keys);
        foreach (var key in a.Keys)
            a[key].bytes().SequenceEqual(b[key].bytes()).Should().BeTrue($"{key} is bitwise the uninterrupted run's");
    }
}
