using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods;

/// <summary>
/// The contrastive, self-distillation and pretext methods run through the host from YAML as a user
/// writes them (views, options, evaluators), each logging its own loss, on synthetic shapes.
/// </summary>
public class MethodsThroughTheHostTests() : CliHarness("replab-methods-")
{
    private const string TwoViews = """
        views:
          - &v [{ plugin: random-resized-crop, scale: [0.5, 1.0] }, { plugin: random-flip }]
          - *v
        """;

    [Theory]
    [InlineData("{ plugin: simclr, hidden-dim: 32, output-dim: 16 }", TwoViews, "loss/nt-xent")]
    [InlineData("{ plugin: moco-v2, queue-size: 64, hidden-dim: 32, output-dim: 16, momentum: 0.99 }", TwoViews, "loss/info-nce")]
    [InlineData("{ plugin: byol, hidden-dim: 32, output-dim: 16 }", TwoViews, "loss/byol")]
    [InlineData("{ plugin: rotation }", "", "loss/rotation-ce")]
    [InlineData("{ plugin: jigsaw, permutations: 10, hidden-dim: 16 }", "", "loss/jigsaw-ce")]
    [InlineData("{ plugin: inpainting, region: random, adversarial-weight: 0.01 }", "", "loss/hole-l2")]
    public void A_method_trains_from_yaml_and_its_representation_is_evaluated(string method, string views, string loss)
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: m
            seed: 4
            dataset: { plugin: synthetic, train-size: 64, test-size: 32 }
            encoder: { plugin: conv-small, features: 16 }
            method: {{method}}
            trainer: { epochs: 1, batch-size: 16, threads: 1, log-every: 1 }
            evaluation:
              - { plugin: kmeans, restarts: 2 }
              - { plugin: anomaly, normal-class: 1 }
            {{views}}
            """);
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("run", path, "--runs-dir", runs);
        code.Should().Be(0, stderr + stdout);
        var folder = Directory.GetDirectories(Path.Combine(runs, "m")).Single();
        var keys = File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "metric").Select(e => e.GetProperty("key").GetString()).ToList();
        keys.Count(k => k == loss).Should().Be(4, "four steps, each logs the method's loss");
        keys.Should().Contain(["eval/kmeans/nmi", "eval/kmeans/ari", "eval/kmeans/accuracy", "eval/anomaly/auroc"]);
        var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "evaluation.json"))).RootElement;
        evaluation.GetProperty("eval/anomaly/auroc").GetDouble().Should().BeInRange(0, 1);
    }
}
