using System.Text.Json;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Sdk;

/// <summary>
/// The SDK's contracts (review gaps G1-G10), each exercised by a fixture plugin in its own assembly,
/// loaded through the experiment's <c>plugins:</c> as a third party's would be, and run end to end.
/// </summary>
public class SdkContractTests() : CliHarness("replab-sdk-")
{
    private string Experiment(string fixture, string method, string extra = "", int epochs = 2, string dataset = "train-size: 192, test-size: 64", string trainer = "")
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: sdk
            seed: 1
            plugins: [{{Repo.Fixture(fixture)}}]
            dataset: { plugin: synthetic, {{dataset}} }
            encoder: { plugin: conv-small, features: 16 }
            method: { plugin: {{method}} }
            trainer: { epochs: {{epochs}}, batch-size: 32, threads: 1, log-every: 1{{trainer}} }
            {{extra}}
            """);
        return path;
    }

    private string Run(string experiment, params string[] more)
    {
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli(["run", experiment, "--runs-dir", runs, .. more]);
        code.Should().Be(0, stderr + stdout);
        return Directory.GetDirectories(Path.Combine(runs, "sdk")).Single();
    }

    private static List<(string Key, double Value, long Step)> Metrics(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "metric")
            .Select(e => (e.GetProperty("key").GetString()!, e.GetProperty("value").GetDouble(), e.GetProperty("step").GetInt64())).ToList();

    private static List<double> Values(string folder, string key) => Metrics(folder).Where(m => m.Key == key).Select(m => m.Value).ToList();

    private static Dictionary<string, Tensor> Checkpoint(string folder) => Safetensors.Load(Path.Combine(folder, "checkpoints", "last.safetensors")).tensors;

    [Fact]
    public void G1_a_method_builds_an_ema_copy_of_its_encoder_with_the_same_input_normalisation()
    {
        var folder = Run(Experiment("SdkEma", "ema-fixture", "data: { normalize: auto }"));
        var c = Checkpoint(folder);
        c["module.target.input_mean"].equal(c["module.encoder.input_mean"]).Should().BeTrue("the copy is built behind the same normalisation");
        c["module.target.input_std"].equal(c["module.encoder.input_std"]).Should().BeTrue();
        c.Keys.Where(k => k.StartsWith("module.target.")).Select(k => k["module.target.".Length..])
            .Should().BeEquivalentTo(c.Keys.Where(k => k.StartsWith("module.encoder.")).Select(k => k["module.encoder.".Length..]), "the copy has the encoder's architecture");
        c["module.target.encoder.body.0.weight"].equal(c["module.encoder.encoder.body.0.weight"]).Should().BeFalse("the target trails the online encoder");
        c.Keys.Should().NotContain(k => k.StartsWith("optim.online.") && k.Contains("target"), "the target gets no optimizer");
    }

    [Fact]
    public void G2_a_method_reads_the_training_plan_cut_by_max_steps()
    {
        var folder = Run(Experiment("SdkPlan", "plan-fixture", epochs: 3, trainer: ", max-steps: 10"));
        Values(folder, "plan/total-steps").Should().HaveCount(10).And.OnlyContain(v => v == 10, "3 epochs of 6 steps, cut to 10 by max-steps");
        Values(folder, "plan/steps-per-epoch").Should().OnlyContain(v => v == 6, "192 images / 32");
        var warmup = Values(folder, "plan/warmup");
        warmup.First().Should().BeApproximately(0.1, 1e-12);
        warmup.Last().Should().Be(1.0);
    }

    [Fact]
    public void G3_the_host_evaluates_and_saves_the_methods_representation_not_its_encoder()
    {
        var folder = Run(Experiment("SdkRepresentation", "representation-fixture", "evaluation: [{ plugin: knn, k: 5 }]"));
        var (saved, _) = Safetensors.Load(Path.Combine(folder, "artifacts", "encoder.safetensors"));
        saved.Keys.Should().Contain(["head.weight", "encoder.body.0.weight"]);
        saved["head.weight"].shape.Should().Equal(5, 16);
        File.ReadAllText(Path.Combine(folder, "evaluation.json")).Should().Contain("eval/knn/top1");
    }

    [Fact]
    public void G4_a_method_reads_its_encoders_feature_maps_through_the_normalising_wrapper()
    {
        var folder = Run(Experiment("SdkFeatureMaps", "feature-maps-fixture", "data: { normalize: auto }", dataset: "train-size: 64, test-size: 32, size: 32"));
        Values(folder, "maps/count").Should().OnlyContain(v => v == 4, "three conv blocks and the head");
        Values(folder, "maps/block1/channels").Should().OnlyContain(v => v == 32);
        Values(folder, "maps/block1/height").Should().OnlyContain(v => v == 16, "32 pixels halved by block1");
        Values(folder, "maps/block3/height").Should().OnlyContain(v => v == 4);
        Values(folder, "maps/head/channels").Should().OnlyContain(v => v == 16, "the head's map is the feature vector");
    }

    [Fact]
    public void G5_a_misspelt_or_malformed_optimizer_group_is_refused_at_load_with_file_and_line()
    {
        var misspelt = Experiment("SdkGroups", "two-groups-fixture", "optimizers:\n  encoder: { lr: 1e-3 }\n  haed: { lr: 0.1 }");
        var (code, _, stderr) = Cli("validate", misspelt);
        code.Should().Be(2);
        stderr.Should().Contain("exp.yaml:10").And.Contain("optimizers.haed").And.Contain("did you mean 'head'").And.Contain("its groups: encoder, head");

        var notAMap = Experiment("SdkGroups", "two-groups-fixture", "optimizers: [adam]");
        (code, _, stderr) = Cli("validate", notAMap);
        code.Should().Be(2);
        stderr.Should().Contain("exp.yaml:8").And.Contain("expected a map of optimizer group");

        var unknownOptimizer = Experiment("SdkGroups", "two-groups-fixture", "optimizer: { plugin: adm, schedule: cosin }");
        (code, _, stderr) = Cli("validate", unknownOptimizer);
        code.Should().Be(2);
        stderr.Should().Contain("optimizer.plugin").And.Contain("adam").And.Contain("optimizer.schedule").And.Contain("cosine");

        var badBetas = Experiment("SdkGroups", "two-groups-fixture", "optimizer: { betas: [0.9] }");
        (code, _, stderr) = Cli("validate", badBetas);
        code.Should().Be(2);
        stderr.Should().Contain("optimizer.betas").And.Contain("two values");
    }

    [Fact]
    public void G5_two_groups_get_their_own_defaults_overrides_schedule_and_weight_decay_split()
    {
        var folder = Run(Experiment("SdkGroups", "two-groups-fixture", "optimizers: { head: { lr: 0.2, warmup-epochs: 0.5 } }"));
        var encoderLr = Values(folder, "lr/encoder");
        encoderLr.Should().HaveCount(12).And.OnlyContain(v => v == 1e-3, "the encoder group keeps its constant default");
        // The head steps on odd steps only: its schedule follows its own step count (12 training steps, 6 head steps).
        var headLr = Metrics(folder).Where(m => m.Key == "lr/head").ToList();
        headLr[0].Value.Should().BeApproximately(0.2 * 1e-3, 1e-15, "warm-up starts at start-factor x lr");
        headLr.Max(m => m.Value).Should().BeApproximately(0.2, 1e-12, "the warm-up reaches the configured lr");
        var (_, meta) = Safetensors.Load(Path.Combine(folder, "checkpoints", "last.safetensors"));
        meta["optim.head.optimizer"].Should().Be("SGD");
        meta["optim.encoder.optimizer"].Should().Be("Adam");
        meta["optim.head.step_count"].Should().Be("6");
        meta["optim.head.param_groups.0.weight_decay"].Should().Be("0.0001");
        meta["optim.head.param_groups.1.weight_decay"].Should().Be("0", "the bias is left out of weight decay");
        meta["optim.encoder.param_groups.0.beta1"].Should().Be("0.5");
        var tag = Directory.GetFiles(Path.Combine(Dir, "mlruns"), "replab.optimizer.head", SearchOption.AllDirectories).Single();
        File.ReadAllText(tag).Should().Be("sgd, lr 0.2, weight-decay 0.0001, schedule warmup-cosine, warmup-epochs 0.5, exclude-bias-and-norm true",
            "each group's resolved settings are tagged on the run: the optimizer, the lr and every setting away from its default");
        var encoderTag = Directory.GetFiles(Path.Combine(Dir, "mlruns"), "replab.optimizer.encoder", SearchOption.AllDirectories).Single();
        File.ReadAllText(encoderTag).Should().Contain("adam, lr ").And.Contain("betas [0.5, 0.999]", "the method's beta1 default for the group");
    }

    [Fact]
    public void G6_a_method_trained_on_ten_percent_of_the_labels_sees_only_those()
    {
        var folder = Run(Experiment("SdkFewLabels", "few-label-fixture", "data: { train-label-fraction: 0.1 }", dataset: "train-size: 320, test-size: 32"));
        using var train = Repo.BuiltIns.Create<IDataset>("synthetic", BuiltIn.Options(PluginKind.Dataset, "synthetic", ("TrainSize", 320))).Load("train");
        var perClass = train.Labels!.data<long>().GroupBy(l => l).Select(g => Math.Max(1, (int)Math.Round(g.Count() * 0.1))).Sum();
        var metrics = Metrics(folder);
        var seen = metrics.Where(m => m.Key == "labels/seen").ToList();
        seen.Should().HaveCount(20, "320 / 32 x 2 epochs");
        seen.Where(m => m.Step < 10).Sum(m => m.Value).Should().Be(perClass, "each epoch shows exactly the kept 10% of each class");
        seen.Where(m => m.Step >= 10).Sum(m => m.Value).Should().Be(perClass);
        var indexSums = metrics.Where(m => m.Key == "labels/index-sum").ToList();
        indexSums.Where(m => m.Step < 10).Sum(m => m.Value).Should().Be(indexSums.Where(m => m.Step >= 10).Sum(m => m.Value), "the same images are labelled in every epoch");
    }

    [Fact]
    public void G7_a_frozen_stage_keeps_its_mode_and_batch_norm_statistics_through_evaluations_and_grids()
    {
        var folder = Run(Experiment("SdkFrozenStage", "frozen-stage-fixture", "evaluation: [{ plugin: knn, k: 5 }]", epochs: 3, trainer: ", eval-every: 1"));
        var c = Checkpoint(folder);
        c["module.encoder.body.1.running_mean"].data<float>().Should().OnlyContain(v => v == 0, "the frozen stage's batch norm never ran in training mode");
        c["module.encoder.body.1.running_var"].data<float>().Should().OnlyContain(v => v == 1);
        c["module.encoder.body.1.num_batches_tracked"].item<long>().Should().Be(0);
        c["module.encoder.body.4.num_batches_tracked"].item<long>().Should().Be(18, "the trained stage's statistics follow every step");
        File.Exists(Path.Combine(folder, "artifacts", "samples", "inputs", "epoch-003.png")).Should().BeTrue("grids are named by the method");
    }

    [Fact]
    public void G8_a_per_step_value_logged_with_Log_is_thinned_to_the_log_interval()
    {
        var path = Experiment("SdkStepLogging", "step-logging-fixture");
        File.WriteAllText(path, File.ReadAllText(path).Replace("log-every: 1", "log-every: 4"));
        var folder = Run(path);
        Metrics(folder).Where(m => m.Key == "tau").Select(m => m.Step).Should().Equal([0L, 4, 8], "12 steps logged every 4");
        Values(folder, "recording").Should().OnlyContain(v => v == 1, "only recording steps reach the store");
        Values(folder, "epoch").Should().Equal([1.0, 2], "values logged outside steps are always kept");
    }

    [Fact]
    public void G9_an_online_probe_callback_trains_during_training_and_logs_every_epoch()
    {
        var path = Experiment("SdkOnlineProbe", "autoencoder", "callbacks: [{ plugin: online-probe-fixture, lr: 0.05 }]", epochs: 3);
        var folder = Run(path);
        var top1 = Values(folder, "online-probe/top1");
        top1.Should().HaveCount(3).And.OnlyContain(v => v >= 0 && v <= 1);
        Values(folder, "online-probe/loss").Should().HaveCount(18, "trained at every step");
        var tag = Directory.GetFiles(Path.Combine(Dir, "mlruns"), "replab.plugin.callbacks.0", SearchOption.AllDirectories).Single();
        File.ReadAllText(tag).Should().StartWith("online-probe-fixture@", "the run is tagged with its callbacks");
    }

    [Fact]
    public void G10_a_method_drawing_from_the_global_generator_resumes_bitwise()
    {
        var exp = Experiment("SdkNoise", "noise-fixture");
        var straight = Run(exp);
        var straightWeights = Checkpoint(straight);
        Directory.Delete(Path.Combine(Dir, "runs"), recursive: true);
        Cli("run", exp, "--runs-dir", Path.Combine(Dir, "runs"), "--stop-after-steps", "5").code.Should().Be(0);
        var resumed = Run(exp, "--resume");
        var resumedWeights = Checkpoint(resumed);
        resumedWeights.Keys.Should().Contain("rng.torch");
        resumedWeights.Keys.Count(k => k.StartsWith("rng.cuda.")).Should().Be(torch.cuda.device_count(), "every CUDA device's generator is saved when there is one");
        foreach (var (k, t) in straightWeights.Where(kv => kv.Key.StartsWith("module.")))
            resumedWeights[k].equal(t).Should().BeTrue($"{k} after resuming equals the uninterrupted run's");
    }

    [Fact]
    public void A_plugin_folder_that_does_not_exist_is_an_error_naming_the_file_and_line()
    {
        var exp = Experiment("SdkNoSuchFixture", "autoencoder");
        var (code, _, stderr) = Cli("run", exp, "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(2);
        stderr.Should().Contain("exp.yaml:3").And.Contain("plugins.0").And.Contain("does not exist").And.Contain("SdkNoSuchFixture");
    }

    [Fact]
    public void The_plugins_listing_of_an_experiment_includes_the_plugins_it_loads()
    {
        var exp = Experiment("SdkOnlineProbe", "autoencoder");
        var (code, stdout, stderr) = Cli("plugins", exp);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("callback").And.Contain("online-probe-fixture").And.Contain("autoencoder");
        Cli("plugins").stdout.Should().NotContain("online-probe-fixture", "without an experiment only the built-ins and REPLAB_PLUGINS are listed");
    }
}
