using FluentAssertions;
using RepLab.Host.Plugins;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// Malformed experiments against the real host sections and built-in plugins, through
/// <c>replab validate</c>: each exits with code 2 and one message naming the file, the line and
/// the key path, without a stack trace.
/// </summary>
public sealed class CliMalformedExperimentTests() : CliHarness("replab-bad-")
{
    // A valid experiment, one setting per line, so each case can break exactly one line.
    private static readonly string[] Good =
    [
        "name: m",                                  // 1
        "seed: 0",                                  // 2
        "dataset: { plugin: synthetic }",           // 3
        "encoder: { plugin: conv-small }",          // 4
        "method: { plugin: autoencoder }",          // 5
        "trainer: { epochs: 1, batch-size: 8 }",    // 6
        "optimizer: { plugin: adam, lr: 0.001 }",   // 7
        "evaluation:",                              // 8
        "  - { plugin: knn, k: 5 }",                // 9
        "tracking: { uri: mlruns }",                // 10
    ];

    /// <summary>Line <c>Line</c> of the good experiment replaced by <c>Text</c> (or the whole file by <c>Whole</c>); the message must hold <c>File:Line:</c>, <c>KeyPath</c> and <c>Expected</c>.</summary>
    public sealed record Case(int Line, string Text, string KeyPath, string Expected, string[]? Overrides = null, int? ErrorLine = null, bool OnCommandLine = false);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["unknown-section"] = new(2, "sead: 0", "sead", "did you mean 'seed'"),
        ["seed-negative"] = new(2, "seed: -1", "seed", "non-negative integer"),
        ["seed-text"] = new(2, "seed: abc", "seed", "non-negative integer"),
        ["dataset-unknown-plugin"] = new(3, "dataset: { plugin: synthetik }", "dataset.plugin", "did you mean 'synthetic'"),
        ["dataset-missing-plugin"] = new(3, "dataset: { size: 28 }", "dataset", "plugin"),
        ["dataset-option-typo"] = new(3, "dataset: { plugin: synthetic, sise: 28 }", "dataset.sise", "did you mean 'size'"),
        ["dataset-option-range"] = new(3, "dataset: { plugin: synthetic, size: 2 }", "dataset.size", "between 8 and 256"),
        ["dataset-option-type"] = new(3, "dataset: { plugin: synthetic, channels: three }", "dataset.channels", "expected an integer"),
        ["dataset-scalar"] = new(3, "dataset: synthetic", "dataset", "map"),
        ["encoder-unknown-plugin"] = new(4, "encoder: { plugin: resnet }", "encoder.plugin", "unknown encoder 'resnet'"),
        ["encoder-features-zero"] = new(4, "encoder: { plugin: conv-small, features: 0 }", "encoder.features", "between 1 and 65536"),
        ["encoder-features-fraction"] = new(4, "encoder: { plugin: conv-small, features: 1.5 }", "encoder.features", "expected an integer"),
        ["encoder-slope-range"] = new(4, "encoder: { plugin: conv-small, slope: 2 }", "encoder.slope", "between 0 and 1"),
        ["method-unknown-plugin"] = new(5, "method: { plugin: autoencodr }", "method.plugin", "did you mean 'autoencoder'"),
        ["method-loss-enum"] = new(5, "method: { plugin: autoencoder, loss: l2 }", "method.loss", "expected one of: mse, bce"),
        ["method-lr-quoted"] = new(5, "method: { plugin: autoencoder, lr: \"0.1\" }", "method.lr", "expected a number"),
        ["trainer-epochs-text"] = new(6, "trainer: { epochs: many, batch-size: 8 }", "trainer.epochs", "expected an integer"),
        ["trainer-batch-zero"] = new(6, "trainer: { epochs: 1, batch-size: 0 }", "trainer.batch-size", "between 1 and"),
        ["trainer-unknown-key"] = new(6, "trainer: { epochs: 1, batch-sise: 8 }", "trainer.batch-sise", "did you mean 'batch-size'"),
        ["trainer-camel-case"] = new(6, "trainer: { epochs: 1, batchSize: 8 }", "trainer.batchSize", "did you mean 'batch-size'"),
        ["trainer-bool"] = new(6, "trainer: { epochs: 1, drop-last: maybe }", "trainer.drop-last", "expected true or false"),
        ["trainer-list"] = new(6, "trainer: [1, 8]", "trainer", "map"),
        ["trainer-device-unknown"] = new(6, "trainer: { epochs: 1, batch-size: 8, device: tpu }", "trainer.device", "unknown device 'tpu' (did you mean 'cpu'?); expected auto, cpu, cuda or cuda:N"),
        ["trainer-device-index"] = new(6, "trainer: { epochs: 1, batch-size: 8, device: \"cuda:x\" }", "trainer.device", "unknown device 'cuda:x'"),
        ["optimizer-unknown-key"] = new(7, "optimizer: { plugin: adam, learning-rate: 0.1 }", "optimizer.learning-rate", "expected one of"),
        ["optimizer-negative-lr"] = new(7, "optimizer: { plugin: adam, lr: -1 }", "optimizer.lr", "between 0 and 100"),
        ["evaluation-item-scalar"] = new(9, "  - knn", "evaluation.0", "map"),
        ["evaluator-unknown"] = new(9, "  - { plugin: kn }", "evaluation.0.plugin", "did you mean 'knn'"),
        ["evaluator-k-zero"] = new(9, "  - { plugin: knn, k: 0 }", "evaluation.0.k", "between 1 and 10000"),
        ["evaluator-temperature-typo"] = new(9, "  - { plugin: knn, temprature: 0.1 }", "evaluation.0.temprature", "did you mean 'temperature'"),
        ["tracking-unknown-key"] = new(10, "tracking: { url: mlruns }", "tracking.url", "expected one of"),
        ["system-metrics-interval-zero"] = new(10, "tracking: { system-metrics: { interval: 0 } }", "tracking.system-metrics.interval", "between 0.1 and 86400, got 0"),
        ["system-metrics-interval-text"] = new(10, "tracking: { system-metrics: { interval: 10s } }", "tracking.system-metrics.interval", "expected a number"),
        ["system-metrics-samples-zero"] = new(10, "tracking: { system-metrics: { samples: 0 } }", "tracking.system-metrics.samples", "between 1 and 10000"),
        ["system-metrics-enabled-text"] = new(10, "tracking: { system-metrics: { enabled: off } }", "tracking.system-metrics.enabled", "expected true or false"),
        ["system-metrics-scalar"] = new(10, "tracking: { system-metrics: 10 }", "tracking.system-metrics", "expected a map"),
        ["views-not-list"] = new(10, "views: { plugin: x }", "views", "expected a list of pipelines"),
        ["yaml-unclosed"] = new(6, "trainer: { epochs: 1, batch-size: 8", "trainer", "left open", ErrorLine: 6),
        ["yaml-duplicate-key"] = new(2, "name: again", "name", "first written at line 1"),
        ["override-unknown-key"] = new(1, "name: m", "trainer.epoch", "did you mean 'trainer.epochs'", ["trainer.epoch=3"], OnCommandLine: true),
        ["override-bad-value"] = new(1, "name: m", "trainer.epochs", "expected an integer", ["trainer.epochs=ten"], OnCommandLine: true),
        ["override-device"] = new(1, "name: m", "trainer.device", "unknown device 'gpu'", ["+trainer.device=gpu"], OnCommandLine: true),
        ["defaults-missing-file"] = new(1, "defaults: [missing.yaml]", "defaults.0", "missing.yaml"),
        ["data-unknown-split"] = new(10, "data: { pretrain-splits: [train, unlabelled] }", "data.pretrain-splits", "did you mean 'unlabeled'"),
        ["data-unknown-probe-split"] = new(10, "data: { probe-split: tset }", "data.probe-split", "has no split 'tset'"),
        ["data-unknown-test-split"] = new(10, "data: { test-split: validation }", "data.test-split", "it has: train, test, unlabeled"),
        ["data-no-splits"] = new(10, "data: { pretrain-splits: [] }", "data.pretrain-splits", "at least 1"),
        ["data-fraction-zero"] = new(10, "data: { label-fraction: 0 }", "data.label-fraction", "between"),
        ["data-normalize-enum"] = new(10, "data: { normalize: yes }", "data.normalize", "expected one of: none, auto, fixed"),
        ["data-fixed-without-std"] = new(10, "data: { normalize: fixed, mean: [0.5] }", "data.normalize", "needs both mean and std"),
        ["data-mean-without-fixed"] = new(10, "data: { normalize: auto, mean: [0.5], std: [0.2] }", "data.mean", "only with normalize: fixed"),
        ["data-std-zero"] = new(10, "data: { normalize: fixed, mean: [0.5], std: [0] }", "data.std", "positive"),
        ["data-mean-std-lengths"] = new(10, "data: { normalize: fixed, mean: [0.5, 0.5], std: [0.2] }", "data.std", "one each per channel"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Fact]
    public void The_table_holds_at_least_thirty_cases() => Cases.Count.Should().BeGreaterThanOrEqualTo(30);

    [Theory]
    [MemberData(nameof(Names))]
    public void Validate_exits_2_naming_file_line_and_key(string name)
    {
        var c = Cases[name];
        var lines = (string[])Good.Clone();
        lines[c.Line - 1] = c.Text;
        var path = Path.Combine(Dir, $"{name}.yaml");
        File.WriteAllLines(path, lines);
        var (code, _, message) = Cli(["validate", path, .. c.Overrides ?? []]);
        code.Should().Be(2, message);
        var where = c.OnCommandLine ? "<command line>:" : $"{path}:{c.ErrorLine ?? c.Line}:";
        message.Should().Contain(where).And.Contain(c.KeyPath).And.Contain(c.Expected);
        message.Should().NotContain("   at ", "a user error is a message, not a stack trace");
    }
}
