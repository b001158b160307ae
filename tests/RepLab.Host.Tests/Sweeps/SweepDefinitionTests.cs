using FluentAssertions;
using RepLab.Config;
using RepLab.Sweeps;
using Xunit;

namespace RepLab.Host.Tests.Sweeps;

/// <summary>The sweep: section: expansion into trials, their hashes, and refusals with file and line.</summary>
public class SweepDefinitionTests() : CliHarness("replab-sweepdef-")
{
    private string Write(string sweep, string name = "exp.yaml", string trainer = "{ epochs: 1, batch-size: 32, threads: 1 }")
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, $"""
            name: tiny
            seed: 3
            dataset: {"{"} plugin: synthetic, train-size: 64, test-size: 32 {"}"}
            encoder: {"{"} plugin: conv-small, features: 8 {"}"}
            method: {"{"} plugin: autoencoder {"}"}
            trainer: {trainer}
            evaluation:
              - {"{"} plugin: knn, k: 5 {"}"}
            sweep:
            {sweep}
            """);
        return path;
    }

    private SweepPlan Plan(string path, params string[] overrides) => SweepPlan.Build(path, overrides, new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), Path.Combine(Dir, "runs"));

    [Fact]
    public void A_grid_is_crossed_with_seeds_in_order_and_exclude_rules_leave_out_matching_trials()
    {
        var plan = Plan(Write("""
              grid:
                encoder.features: [4, 8]
                method.loss: [mse, bce]
              seeds: [0, 1]
              exclude:
                - { encoder.features: 4, method.loss: bce }
                - { seed: 1, method.loss: [bce] }
            """));
        plan.Trials.Select(t => t.Point.Describe()).Should().Equal(
            "encoder.features=4 method.loss=mse seed=0", "encoder.features=4 method.loss=mse seed=1",
            "encoder.features=8 method.loss=mse seed=0", "encoder.features=8 method.loss=mse seed=1",
            "encoder.features=8 method.loss=bce seed=0");
        plan.Definition.Excluded.Should().Be(3);
        plan.Trials.Select(t => t.Index).Should().Equal(0, 1, 2, 3, 4);
        plan.Definition.Name.Should().Be("exp", "the sweep is named after its file by default");
        plan.Trials[4].Config.Get("method.loss").Should().BeOfType<ConfigScalar>().Which.Value.Should().Be("bce");
        plan.Trials[4].Config.Get("sweep").Should().BeNull("a trial's config is the experiment without its sweep");
        plan.Trials.Select(t => t.Id).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void A_trial_is_identified_by_the_hash_of_its_config_without_threads_device_index_tracking_or_sweep()
    {
        var path = Write("""
              grid:
                encoder.features: [4, 8]
            """);
        var plan = Plan(path);
        // The child `replab run FILE OVERRIDES` resolves to the same hash: its run folder is the trial's.
        foreach (var t in plan.Trials)
            ExperimentLoader.Load(path, t.Overrides).WithoutSection("sweep").ShortHash().Should().Be(t.Id);
        string Hash(params string[] o) => ExperimentLoader.Load(path, o).WithoutSection("sweep").Hash();
        var plain = Hash();
        Hash("trainer.threads=7").Should().Be(plain, "threads do not change results");
        Hash("+tracking.uri=http://example:5000").Should().Be(plain, "nor where the run is tracked");
        Hash("+trainer.device=cuda:1").Should().Be(Hash("+trainer.device=cuda:0"), "nor which GPU");
        Hash("+trainer.device=cuda:1").Should().NotBe(Hash("+trainer.device=cpu"), "but the device kind does");
        Hash("trainer.epochs=2").Should().NotBe(plain);
        ExperimentLoader.Load(path).Hash().Should().Be(plain, "the sweep section itself is not hashed");
        Plan(path, "trainer.threads=2").Trials.Select(t => t.Id).Should().Equal(plan.Trials.Select(t => t.Id));
    }

    [Fact]
    public void Adding_grid_values_keeps_the_hashes_of_the_trials_already_there()
    {
        var before = Plan(Write("""
              grid:
                encoder.features: [4, 8]
              seeds: [0]
            """)).Trials.Select(t => t.Id).ToList();
        var after = Plan(Write("""
              grid:
                encoder.features: [4, 6, 8]
              seeds: [0, 1]
            """)).Trials.Select(t => t.Id).ToList();
        after.Should().HaveCount(6).And.Contain(before);
    }

    [Fact]
    public void Random_search_draws_the_same_values_for_a_seed_within_each_distribution()
    {
        const string sweep = """
              random:
                trials: 12
                seed: SEED
                optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }
                method.loss: { choice: [mse, bce] }
                encoder.features: { int: [4, 9] }
                optimizer.weight-decay: { uniform: [0.0, 0.5] }
            """;
        var a = Plan(Write(sweep.Replace("SEED", "5"), trainer: "{ epochs: 1, batch-size: 32 }\noptimizer: { lr: 0.001, weight-decay: 0.0 }")).Trials;
        var b = Plan(Write(sweep.Replace("SEED", "5"), trainer: "{ epochs: 1, batch-size: 32 }\noptimizer: { lr: 0.001, weight-decay: 0.0 }")).Trials;
        var c = Plan(Write(sweep.Replace("SEED", "6"), trainer: "{ epochs: 1, batch-size: 32 }\noptimizer: { lr: 0.001, weight-decay: 0.0 }")).Trials;
        a.Should().HaveCount(12);
        a.Select(t => t.Point.Describe()).Should().Equal(b.Select(t => t.Point.Describe()), "seeded draws repeat");
        a.Select(t => t.Point.Describe()).Should().NotEqual(c.Select(t => t.Point.Describe()));
        double Value(SweepTrial t, string p) => double.Parse(t.Point.Assignments.Single(x => x.Path == p).ValueText, System.Globalization.CultureInfo.InvariantCulture);
        a.Select(t => Value(t, "optimizer.lr")).Should().OnlyContain(v => v >= 1e-4 && v <= 1e-2);
        a.Select(t => Math.Log10(Value(t, "optimizer.lr"))).Should().Contain(v => v < -3).And.Contain(v => v > -3, "log-uniform spreads over both decades");
        a.Select(t => Value(t, "encoder.features")).Should().OnlyContain(v => v >= 4 && v <= 9 && v == Math.Floor(v));
        a.Select(t => Value(t, "optimizer.weight-decay")).Should().OnlyContain(v => v >= 0 && v <= 0.5);
        a.Select(t => t.Point.Assignments.Single(x => x.Path == "method.loss").ValueText).Distinct().Should().BeSubsetOf(["mse", "bce"]);
    }

    [Fact]
    public void A_malformed_sweep_section_is_refused_with_file_line_and_key()
    {
        var path = Write("""
              grid:
                encoder.features: 4
              random:
                trials: 2
                optimizer.lr: { normal: [0, 1] }
              seedz: [0]
            """);
        var (code, _, stderr) = Cli("sweep", path, "--dry-run");
        code.Should().Be(2);
        stderr.Should().Contain("exp.yaml:11:").And.Contain("sweep.grid.encoder.features").And.Contain("non-empty list");
        stderr.Should().Contain("sweep.random.optimizer.lr").And.Contain("loguniform");
        stderr.Should().Contain("exp.yaml:15:").And.Contain("unknown key 'seedz'").And.Contain("did you mean 'seeds'");
    }

    [Fact]
    public void A_bad_value_in_one_trial_is_refused_before_anything_runs_naming_the_trial_and_the_sweep_file_line()
    {
        var path = Write("""
              grid:
                trainer.epochs: [1, 2, -5]
            """);
        var (code, stdout, stderr) = Cli("sweep", path);
        code.Should().Be(2, stdout);
        stderr.Should().Contain("trial 2 (trainer.epochs=-5)").And.Contain("exp.yaml:11:");
        Directory.Exists(Path.Combine(Dir, "runs")).Should().BeFalse("nothing started");
        Cli("validate", path).stderr.Should().Contain("trial 2 (trainer.epochs=-5)", "validate checks every trial too");
        Directory.Exists(Path.Combine(Dir, "mlruns")).Should().BeFalse();
    }

    [Fact]
    public void Dry_run_lists_every_trial_with_its_overrides_hash_and_what_the_sweep_would_do()
    {
        var path = Write("""
              name: tiny-grid
              grid:
                encoder.features: [4, 8]
              seeds: [0, 1, 2]
            """);
        var (code, stdout, stderr) = Cli("sweep", path, "--dry-run", "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(0, stderr);
        var plan = Plan(path);
        foreach (var t in plan.Trials) stdout.Should().Contain(t.Id).And.Contain(string.Join(" ", t.Point.Assignments));
        stdout.Should().Contain("tiny-grid: 6 trials, all valid; 6 to run with executor local");
        Directory.Exists(Path.Combine(Dir, "runs")).Should().BeFalse("a dry run writes nothing");
    }

    [Fact]
    public void A_plain_run_of_a_sweep_file_runs_its_base_config_and_says_so()
    {
        var path = Write("""
              grid:
                encoder.features: [4, 8]
            """);
        var (code, stdout, stderr) = Cli("run", path, "--runs-dir", Path.Combine(Dir, "runs"), "+trainer.max-steps=1");
        code.Should().Be(0, stderr);
        stdout.Should().Contain("has a sweep: section; this runs its base config");
        File.ReadAllText(Directory.GetFiles(Path.Combine(Dir, "runs"), "config.yaml", SearchOption.AllDirectories).Single()).Should().NotContain("sweep");
    }

    [Fact]
    public void A_sweep_of_the_most_trials_is_drawn_and_one_more_is_refused_before_any_draw()
    {
        const string sweep = """
              random:
                trials: TRIALS
                optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }
            """;
        var at = Write(sweep.Replace("TRIALS", "100000"));
        SweepDefinition.Parse(ExperimentLoader.Load(at), at).Points.Should().HaveCount((int)SweepDefinition.MaxTrials);

        var past = Write(sweep.Replace("TRIALS", "100001"));
        var refused = FluentActions.Invoking(() => SweepDefinition.Parse(ExperimentLoader.Load(past), past)).Should().Throw<ConfigException>().Which;
        refused.Message.Should().Contain("exp.yaml:11:").And.Contain("sweep.random.trials: 100,001 trials; a sweep holds at most 100,000");
    }

    [Fact]
    public void Grid_random_and_seeds_are_multiplied_against_the_limit_and_so_are_the_settings_of_every_trial()
    {
        var (code, _, stderr) = Cli("validate", Write("""
              grid:
                encoder.features: [4, 8, 16, 32]
              random:
                trials: 50000
                optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }
            """));
        code.Should().Be(2);
        stderr.Should().Contain("exp.yaml:9:1: sweep: grid, random and seeds make 200,000 trials (4 x 50,000); a sweep holds at most 100,000");

        // 100,000 trials of an experiment with a hundred settings more than the limit of trials x settings allows.
        var (code2, _, stderr2) = Cli("validate", Write("""
              random:
                trials: 100000
                optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }
            """, trainer: "{ epochs: 1, batch-size: 32, threads: 1 }\ndata: { pretrain-splits: [" + string.Join(", ", Enumerable.Repeat("train", 100)) + "] }"));
        code2.Should().Be(2);
        stderr2.Should().Contain("sweep: 100,000 trials of").And.Contain("a sweep holds at most 5,000,000 (trials x settings)");
    }
}
