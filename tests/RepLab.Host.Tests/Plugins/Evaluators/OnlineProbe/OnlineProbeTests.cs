using System.Text.Json;
using FluentAssertions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.OnlineProbe;

/// <summary>The <c>online-probe</c> callback in real runs: trained during training, scored every epoch, checkpointed and resumed exactly.</summary>
public class OnlineProbeTests() : CliHarness("replab-online-probe-")
{
    private string Experiment(string extra = "")
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: probe
            seed: 3
            dataset: { plugin: synthetic, train-size: 192, test-size: 64 }
            encoder: { plugin: conv-small, features: 16 }
            method: { plugin: autoencoder }
            trainer: { epochs: 3, batch-size: 32, threads: 1, log-every: 1 }
            callbacks: [{ plugin: online-probe, lr: 0.01 }]
            {{extra}}
            """);
        return path;
    }

    private string Run(string experiment, params string[] more)
    {
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli(["run", experiment, "--runs-dir", runs, .. more]);
        code.Should().Be(0, stderr + stdout);
        return Directory.GetDirectories(Path.Combine(runs, "probe")).Single();
    }

    private static List<double> Values(string folder, string key) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "metric" && e.GetProperty("key").GetString() == key)
            .Select(e => e.GetProperty("value").GetDouble()).ToList();

    [Fact]
    public void It_trains_on_every_step_scores_every_epoch_and_resumes_bitwise()
    {
        var exp = Experiment();
        var straight = Run(exp);
        Values(straight, "online-probe/top1").Should().HaveCount(3).And.OnlyContain(v => v >= 0 && v <= 1);
        Values(straight, "online-probe/top1")[^1].Should().BeGreaterThan(0.3, "four shape classes: chance is 0.25");
        Values(straight, "online-probe/loss").Should().HaveCount(18, "six steps an epoch, each trains the probe");
        var (full, _) = Safetensors.Load(Path.Combine(straight, "checkpoints", "last.safetensors"));
        full.Keys.Should().Contain(["module.callback.0.online-probe.head.weight", "optim.callback.0.online-probe.adam.state.0.exp_avg"]);

        Directory.Delete(Path.Combine(Dir, "runs"), recursive: true);
        Cli("run", exp, "--runs-dir", Path.Combine(Dir, "runs"), "--stop-after-steps", "8").code.Should().Be(0);
        var resumed = Run(exp, "--resume");
        var (again, _) = Safetensors.Load(Path.Combine(resumed, "checkpoints", "last.safetensors"));
        foreach (var key in full.Keys.Where(k => k.Contains("callback.")))
            again[key].equal(full[key]).Should().BeTrue($"{key} after resuming equals the uninterrupted run's");
        Values(resumed, "online-probe/top1")[^1].Should().Be(Values(straight, "online-probe/top1")[^1]);
    }

    [Fact]
    public void Train_classes_restrict_pretraining_to_the_named_classes()
    {
        var (code, stdout, stderr) = Cli("run", Experiment("data: { train-classes: [1] }"), "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(0, stderr);
        var kept = int.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"training on (\d+) images of classes 1").Groups[1].Value);
        kept.Should().BeInRange(20, 80, "about a quarter of the 192 synthetic images are of class 1");
        (code, _, stderr) = Cli("run", Experiment("data: { train-classes: [7] }"), "--runs-dir", Path.Combine(Dir, "runs2"));
        code.Should().Be(2);
        stderr.Should().Contain("train-classes").And.Contain("7");
    }
}
