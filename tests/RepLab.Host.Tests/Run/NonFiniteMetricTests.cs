using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// NaN and infinities from an evaluator or a method's diagnostics are data: the run finishes with
/// its encoder and every evaluator's score, the records hold them as "NaN", "Infinity" and
/// "-Infinity", and a resumed run reads them back. (A NaN loss still stops training: RunLifecycleTests.)
/// </summary>
public class NonFiniteMetricTests() : CliHarness("replab-nonfinite-")
{
    private string Experiment(string evaluators, string method = "autoencoder") =>
        TinyExperiment.Write(Dir, "degenerate", $"evaluation: [{evaluators}]", "{ plugin: synthetic, train-size: 64, test-size: 32 }", method);

    private string Runs => Path.Combine(Dir, "runs");

    private string Folder => Directory.GetDirectories(Path.Combine(Runs, "degenerate")).Single();

    [Fact]
    public void A_nan_evaluator_beside_a_finite_one_leaves_both_scores_the_encoder_and_a_finished_run()
    {
        var (code, stdout, stderr) = Cli("run", Experiment("{ plugin: non-finite, value: nan }, { plugin: non-finite, value: -inf }, { plugin: knn, k: 3 }"), "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        stderr.Should().NotContain("internal error");
        var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "evaluation.json"))).RootElement;
        evaluation.GetProperty("eval/non-finite-nan").GetString().Should().Be("NaN");
        evaluation.GetProperty("eval/non-finite--inf").GetString().Should().Be("-Infinity");
        evaluation.GetProperty("eval/knn/top1").GetDouble().Should().BeInRange(0, 1);
        File.Exists(Path.Combine(Folder, "artifacts", "encoder.safetensors")).Should().BeTrue();
        var lines = File.ReadAllLines(Path.Combine(Folder, "metrics.jsonl"));
        lines.Should().Contain(l => l.Contains("\"eval/non-finite-nan\"") && l.Contains("\"value\":\"NaN\""));
        lines.Last().Should().Contain("\"status\":\"Finished\"");

        (code, stdout, _) = Cli("runs", "--store", Path.Combine(Dir, "mlruns"));
        code.Should().Be(0);
        stdout.Should().Contain("FINISHED").And.NotContain("damaged", "a NaN metric is data in the store, not damage");
        (code, stdout, stderr) = Cli("run", Experiment("{ plugin: non-finite, value: nan }, { plugin: non-finite, value: -inf }, { plugin: knn, k: 3 }"), "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("has already finished").And.Contain("eval/non-finite-nan NaN", "the finished run is found again, its NaN score read back");
    }

    [Fact]
    public void A_method_logging_nan_diagnostics_trains_to_the_end_and_resumes_over_them()
    {
        var exp = Experiment("{ plugin: knn, k: 3 }", method: "diverging, nan-at: 1000000, log-nan: true");
        var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", Runs, "--stop-after-steps", "2");
        code.Should().Be(0, stderr + stdout);
        (code, stdout, stderr) = Cli("run", exp, "--runs-dir", Runs, "--resume");
        code.Should().Be(0, stderr + stdout);
        var nans = File.ReadAllLines(Path.Combine(Folder, "metrics.jsonl")).Where(l => l.Contains("\"diag/nan\"")).ToList();
        nans.Should().HaveCount(4, "64/16 steps, each once after the resume").And.OnlyContain(l => l.Contains("\"value\":\"NaN\""));
        File.ReadAllText(Path.Combine(Folder, "evaluation.json")).Should().Contain("eval/knn/top1");
    }
}
