using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Tracking;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace RepLab.Host.Tests.Tracking;

/// <summary>The file store layout MLflow's FileStore reads (checked field by field against what a real MLflow writes).</summary>
public class MlflowFileStoreTests : IDisposable
{
    private readonly string root = Path.Combine(Directory.CreateTempSubdirectory("replab-mlruns-").FullName, "mlruns");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);

    internal static RunStarted Started(string experiment = "exp", string name = "trial-1", string? runDir = null, bool resumed = false,
        IReadOnlyList<KeyValuePair<string, string>>? parameters = null) =>
        new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), experiment, name, "c0ffee", runDir ?? Path.Combine(Path.GetTempPath(), name), resumed,
            parameters ?? [new("optimizer.lr", "0.001"), new("encoder.plugin", "conv-small"), new("dataset.api_key", "hunter2")],
            new Dictionary<string, string> { ["replab.plugin.simclr"] = "1.2.0" });

    /// <summary>A meta.yaml as PyYAML's safe_load would see it: scalars with their quoting style.</summary>
    private static Dictionary<string, YamlScalarNode> Meta(string path)
    {
        var yaml = new YamlStream();
        using (var r = new StreamReader(path)) yaml.Load(r);
        var map = (YamlMappingNode)yaml.Documents[0].RootNode;
        map.Children.Where(k => k.Value is not YamlScalarNode).Select(k => ((YamlScalarNode)k.Key).Value).Should().BeSubsetOf(["tags"], "only the legacy tags list is not a scalar");
        return map.Children.Where(k => k.Value is YamlScalarNode).ToDictionary(k => ((YamlScalarNode)k.Key).Value!, k => (YamlScalarNode)k.Value);
    }

    private static bool Quoted(YamlScalarNode n) => n.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted;

    [Fact]
    public void A_new_store_has_experiment_0_Default_as_MLflow_creates_it()
    {
        _ = new MlflowFileStore(root);
        var meta = Meta(Path.Combine(root, "0", "meta.yaml"));
        meta["experiment_id"].Value.Should().Be("0");
        Quoted(meta["experiment_id"]).Should().BeTrue("PyYAML would read an unquoted 0 as an int");
        meta["name"].Value.Should().Be("Default");
        meta["lifecycle_stage"].Value.Should().Be("active");
        meta["artifact_location"].Value.Should().Be(new Uri(Path.Combine(root, "0")).AbsoluteUri);
        Directory.Exists(Path.Combine(root, ".trash")).Should().BeTrue();
    }

    [Fact]
    public void A_metric_key_that_would_be_the_folder_of_another_is_refused_by_name()
    {
        var store = new MlflowFileStore(root);
        using var tracker = new MlflowTracker(store);
        tracker.Emit(Started());
        tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "eval/auroc", 0.5, 0));
        var act = () => tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "eval/auroc/class-1", 0.5, 0));
        act.Should().Throw<InvalidOperationException>().WithMessage("*'eval/auroc/class-1'*'eval/auroc'*");
        tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "eval/auroc-class-1", 0.5, 0));
        tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
    }

    [Fact]
    public void Experiment_meta_has_every_field_and_the_id_of_its_folder()
    {
        var store = new MlflowFileStore(root);
        var id = store.EnsureExperiment("simclr 'fashion'");
        store.EnsureExperiment("simclr 'fashion'").Should().Be(id, "the same name is the same experiment");
        var meta = Meta(Path.Combine(root, id, "meta.yaml"));
        meta["experiment_id"].Value.Should().Be(id);
        Quoted(meta["experiment_id"]).Should().BeTrue();
        meta["name"].Value.Should().Be("simclr 'fashion'");
        meta["artifact_location"].Value.Should().StartWith("file:///").And.EndWith("/" + id);
        meta["lifecycle_stage"].Value.Should().Be("active");
        meta.Should().ContainKeys("creation_time", "last_update_time");
    }

    [Fact]
    public void Run_meta_params_tags_metrics_and_artifacts_have_MLflows_format()
    {
        var store = new MlflowFileStore(root);
        var artifact = Path.Combine(Path.GetDirectoryName(root)!, "config.yaml");
        File.WriteAllText(artifact, "seed: 1\n");
        string runDir;
        using (var tracker = new MlflowTracker(store))
        {
            tracker.Emit(Started());
            runDir = tracker.Run!.Directory;
            var meta = Meta(Path.Combine(runDir, "meta.yaml"));
            meta["status"].Value.Should().Be("1");
            Quoted(meta["status"]).Should().BeFalse("MLflow reads status as an integer");
            meta["end_time"].Value.Should().Be("null");
            tracker.Emit(new MetricLogged(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500), "train/loss", 0.25, 3));
            tracker.Emit(new MetricLogged(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_600), "train/loss", double.NaN, 4));
            tracker.Emit(new MetricLogged(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_700), "knn_top1", 1e-5, 10));
            tracker.Emit(new TagSet(DateTimeOffset.UtcNow, "phase", "eval"));
            tracker.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, artifact, "config/resolved.yaml"));
            tracker.Emit(new RunEnded(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_009_000), RunStatus.Finished, null));
        }
        var experimentId = Path.GetFileName(Path.GetDirectoryName(runDir)!);
        var runId = Path.GetFileName(runDir);
        var m = Meta(Path.Combine(runDir, "meta.yaml"));
        m["run_id"].Value.Should().Be(runId);
        m["run_uuid"].Value.Should().Be(runId);
        m["experiment_id"].Value.Should().Be(experimentId);
        Quoted(m["experiment_id"]).Should().BeTrue();
        m["user_id"].Value.Should().Be(Environment.UserName);
        m["start_time"].Value.Should().Be("1700000000000");
        m["end_time"].Value.Should().Be("1700000009000");
        m["status"].Value.Should().Be("3");
        m["lifecycle_stage"].Value.Should().Be("active");
        m["artifact_uri"].Value.Should().Be(new Uri(Path.Combine(runDir, "artifacts")).AbsoluteUri);
        m["run_name"].Value.Should().Be("trial-1");

        File.ReadAllText(Path.Combine(runDir, "metrics", "train", "loss")).Should().Be("1700000000500 0.25 3\n1700000000600 nan 4\n");
        File.ReadAllText(Path.Combine(runDir, "metrics", "knn_top1")).Should().Be("1700000000700 1E-05 10\n");
        File.ReadAllText(Path.Combine(runDir, "params", "optimizer.lr")).Should().Be("0.001", "params have no trailing newline");
        File.ReadAllText(Path.Combine(runDir, "params", "dataset.api_key")).Should().Be(ParamRedaction.Mask);
        var tags = MlflowFileStore.ReadTags(runDir);
        tags.Should().Contain("mlflow.runName", "trial-1").And.Contain("mlflow.source.name", "replab").And.Contain("mlflow.user", Environment.UserName)
            .And.Contain("replab.config_hash", "c0ffee").And.Contain("replab.plugin.simclr", "1.2.0").And.Contain("phase", "eval")
            .And.ContainKey("replab.version").And.ContainKey("mlflow.source.git.commit");
        tags["mlflow.source.git.commit"].Should().MatchRegex("^[0-9a-f]{40}$");
        tags["replab.version"].Should().MatchRegex(@"^\d+\.\d+\.\d+\+[0-9a-f]{40}$", "the version with the commit it was built from");
        File.ReadAllText(Path.Combine(runDir, "artifacts", "config", "resolved.yaml")).Should().Be("seed: 1\n");
        Directory.EnumerateFiles(root, "*.tmp", SearchOption.AllDirectories).Should().BeEmpty("meta files are replaced by rename");
        MlflowFileStore.ReadMetric(runDir, "train/loss").Select(p => p.Step).Should().Equal(3, 4);
    }

    [Fact]
    public void Params_are_immutable_like_MLflows()
    {
        var store = new MlflowFileStore(root);
        using var run = store.CreateRun(store.EnsureExperiment("e"), "r", "me", DateTimeOffset.UtcNow);
        run.LogParam("a", "1");
        run.LogParam("a", "1");
        run.Invoking(r => r.LogParam("a", "2")).Should().Throw<InvalidOperationException>().WithMessage("*cannot change*");
    }

    [Fact]
    public void Keys_and_values_are_made_acceptable_to_MLflow()
    {
        MlflowNames.Sanitize("loss@top:1").Should().Be("loss_top_1");
        MlflowNames.Sanitize("/a//./b/../c").Should().Be("a/_/b/_/c");
        MlflowNames.Sanitize(new string('k', 300)).Should().HaveLength(250);
        MlflowNames.IsValidKey("evaluation.0.k").Should().BeTrue();
        MlflowNames.IsValidKey("a/../b").Should().BeFalse();
        MlflowNames.Cap(new string('v', 7000), MlflowNames.MaxParamValueLength).Should().HaveLength(6000);
    }

    [Fact]
    public void Concurrent_trials_share_one_experiment_and_never_collide()
    {
        var runDirs = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, i =>
        {
            // Each trial opens its own store object, as separate processes would.
            using var tracker = new MlflowTracker(new MlflowFileStore(root));
            tracker.Emit(Started("sweep", $"trial-{i}"));
            for (var s = 0; s < 50; s++) tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss", s, s));
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            runDirs.Add(tracker.Run!.Directory);
        });
        var store = new MlflowFileStore(root);
        store.Experiments().Where(e => e.Name == "sweep").Should().HaveCount(1);
        var runs = store.Runs("sweep");
        runs.Should().HaveCount(8);
        runs.Select(r => r.RunName).Should().BeEquivalentTo(Enumerable.Range(0, 8).Select(i => $"trial-{i}"));
        foreach (var r in runs) MlflowFileStore.ReadMetric(r.Directory, "loss").Should().HaveCount(50);
    }

    [Fact]
    public void A_resumed_run_continues_the_same_MLflow_run()
    {
        var store = new MlflowFileStore(root);
        var runDir = Path.Combine(Path.GetDirectoryName(root)!, "runs", "a");
        string first;
        using (var t = new MlflowTracker(store))
        {
            t.Emit(Started(runDir: runDir));
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Killed, "SIGINT"));
            first = t.Run!.RunId;
        }
        MlflowFileStore.ReadTags(store.Runs()[0].Directory).Should().Contain("replab.end_reason", "SIGINT");
        using (var t = new MlflowTracker(store))
        {
            t.Emit(Started(runDir: runDir, resumed: true));
            t.Run!.RunId.Should().Be(first);
            t.Run.Status.Should().Be(RunStatus.Running);
            t.Run.EndTime.Should().BeNull();
        }
    }

    [Fact]
    public void Events_before_RunStarted_are_a_developer_error()
    {
        using var t = new MlflowTracker(new MlflowFileStore(root));
        t.Invoking(x => x.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss", 1, 0))).Should().Throw<InvalidOperationException>().WithMessage("*RunStarted*");
    }

    [Fact]
    public void Redaction_hides_values_of_secret_looking_keys_only()
    {
        var redacted = ParamRedaction.Redact([new("hub.Token", "t"), new("db.password", "p"), new("client_secret", "s"), new("api_key", "k"), new("optimizer.lr", "0.1")]);
        redacted.Select(p => p.Value).Should().Equal("***", "***", "***", "***", "0.1");
        redacted.Select(p => p.Key).Should().Equal("hub.Token", "db.password", "client_secret", "api_key", "optimizer.lr");
    }

    [Fact]
    public void The_factory_picks_the_store_from_the_tracking_uri()
    {
        var env = new Dictionary<string, string?>();
        string? Env(string k) => env.GetValueOrDefault(k);
        TrackingTarget.Parse(null, Env).Should().Be(new TrackingTarget(Path.GetFullPath("mlruns"), null));
        TrackingTarget.Parse("file://" + root, Env).LocalStore.Should().Be(root);
        TrackingTarget.Parse(root, Env).LocalStore.Should().Be(root);
        env["MLFLOW_TRACKING_TOKEN"] = "tok";
        var remote = TrackingTarget.Parse("http://user:pw@127.0.0.1:5000", Env);
        remote.Server!.Token.Should().Be("tok");
        remote.Server.ToString().Should().NotContain("pw", "credentials never reach a message");
        FluentActions.Invoking(() => TrackingTarget.Parse("databricks://x", Env)).Should().Throw<ArgumentException>();
        using var tracker = TrackerFactory.Create(root, env: Env);
        tracker.Store.Root.Should().Be(root);
    }
}
