using System.Text.Json.Nodes;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>The datasets a run logs (MLflow's dataset inputs): its training set and its evaluators' sets, once per run, resumed or not.</summary>
public class RunDatasetsTests() : CliHarness("replab-run-datasets-")
{
    private string Experiment(string extra = "") =>
        TinyExperiment.Write(Dir, "tiny", "evaluation: [{ plugin: knn, k: 5 }]\n" + extra, "{ plugin: synthetic, train-size: 96, test-size: 32 }", epochs: 2, seed: 3);

    private string Runs => Path.Combine(Dir, "runs");

    /// <summary>The datasets of metrics.jsonl's dataset records, in order.</summary>
    private List<JsonNode> Recorded()
    {
        var folder = Directory.GetDirectories(Path.Combine(Runs, "tiny")).Single();
        return File.ReadLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(l => l["kind"]!.GetValue<string>() == RecordKind.Dataset)
            .SelectMany(l => l["datasets"]!.AsArray().Select(d => d!)).ToList();
    }

    private IReadOnlyList<DatasetInput> StoreInputs()
    {
        var run = new MlflowFileStore(Path.Combine(Dir, "mlruns")).Runs().Should().ContainSingle().Subject;
        return MlflowFileStore.ReadInputs(run.Directory).Select(i => i.Input).ToList();
    }

    private static string Text(JsonNode d, string key) => d[key]!.GetValue<string>();

    [Fact]
    public void A_run_logs_its_training_set_and_test_set_once_and_a_resume_logs_neither_again()
    {
        var exp = Experiment();
        Cli("run", exp, "--runs-dir", Runs, "--stop-after-steps", "2").code.Should().Be(0);
        var first = Recorded();
        // The probe split is the training set itself: MLflow keeps one context per dataset, the first.
        first.Select(d => (Text(d, "name"), Text(d, "context"))).Should().Equal(("synthetic/train", "training"), ("synthetic/test", "evaluation"));
        first.Should().OnlyContain(d => Text(d, "source_type") == "code" && Text(d, "digest").Length == DatasetDescriber.DigestLength);
        JsonNode.Parse(Text(first[0], "source"))!["tags"]!["replab.dataset"]!.GetValue<string>().Should().Be("synthetic");
        var profile = JsonNode.Parse(Text(first[0], "profile"))!;
        profile["features_shape"]!.AsArray().Select(n => n!.GetValue<long>()).Should().Equal(96, 1, 28, 28);
        profile["class_counts"]!.AsObject().Sum(kv => kv.Value!.GetValue<long>()).Should().Be(96);
        JsonNode.Parse(Text(first[1], "schema"))!["classes"]!["names"]!.AsArray().Should().HaveCount(4);

        var (code, _, stderr) = Cli("run", exp, "--runs-dir", Runs, "--resume");
        code.Should().Be(0, stderr);
        Recorded().Should().HaveCount(2, "the resumed run's datasets are the ones it logged");
        StoreInputs().Select(i => (i.Name, i.Digest, i.Context)).Should().BeEquivalentTo(first.Select(d => (Text(d, "name"), Text(d, "digest"), Text(d, "context"))));
    }

    [Fact]
    public void Several_pretraining_splits_and_a_label_fraction_are_datasets_of_their_own()
    {
        var (code, _, stderr) = Cli("run", Experiment("data: { pretrain-splits: [train, unlabeled], label-fraction: 0.5 }"), "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        var recorded = Recorded();
        recorded.Select(d => (Text(d, "name"), Text(d, "context"))).Should().Equal(
            ("synthetic/train+synthetic/unlabeled", "training"), ("synthetic/train[50 % per class, seed 3]", "evaluation"), ("synthetic/test", "evaluation"));
        JsonNode.Parse(Text(recorded[0], "profile"))!["unlabelled"]!.GetValue<long>().Should().Be(96, "the unlabeled split's images");
        JsonNode.Parse(Text(recorded[0], "source"))!["tags"]!["replab.splits"]!.GetValue<string>().Should().Be("train,unlabeled");
        var probe = JsonNode.Parse(Text(recorded[1], "profile"))!;
        probe["features_shape"]![0]!.GetValue<long>().Should().BeLessThan(96).And.BeGreaterThan(0);
        recorded.Select(d => Text(d, "digest")).Should().OnlyHaveUniqueItems();
        StoreInputs().Should().HaveCount(3);
    }
}
