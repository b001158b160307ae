using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using RepLab.Host.Plugins;
using RepLab.Host.Tests.Tracking;
using Xunit;

namespace RepLab.Host.Tests.RealMlflow;

/// <summary>
/// Our tracking against a real MLflow 2.12 server (not the stand-in): runs uploaded through its
/// REST API, our local file store read by its Python client, a resumed run continuing one server
/// run, and an outage mid-run healed by <c>replab sync</c>, each metric point on the server once.
/// </summary>
[Collection("real MLflow")]
[Trait("Category", "RealMlflow")]
public sealed class RealMlflowTests : IDisposable
{
    private readonly RealMlflowServer server;
    private readonly string dir = Directory.CreateTempSubdirectory("replab-real-mlflow-run-").FullName;
    private readonly string experiment = "itest-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string?> saved = [];

    public RealMlflowTests(RealMlflowServer server)
    {
        this.server = server;
        foreach (var (k, v) in new Dictionary<string, string>
        {
            [PluginCatalog.PathVariable] = Repo.BuiltInPlugins,
            ["REPLAB_CLI"] = Repo.BuiltCli,
            ["MLFLOW_TRACKING_URI"] = server.Uri.ToString(),
            ["REPLAB_LOCAL_STORE"] = Store,
        })
        {
            saved[k] = Environment.GetEnvironmentVariable(k);
            Environment.SetEnvironmentVariable(k, v);
        }
    }

    private string Store => Path.Combine(dir, "mlruns");

    private string Runs => Path.Combine(dir, "runs");

    public void Dispose()
    {
        foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        Directory.Delete(dir, recursive: true);
    }

    private string Experiment(int epochs = 2, int trainSize = 96, string tracking = "")
    {
        var path = Path.Combine(dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: tracked
            seed: 2
            dataset: { plugin: synthetic, train-size: {{trainSize}}, test-size: 32 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: autoencoder }
            trainer: { epochs: {{epochs}}, batch-size: 16, threads: 1, log-every: 1 }
            evaluation: [{ plugin: knn, k: 5 }]
            tracking: { experiment: {{experiment}}{{tracking}} }
            """);
        return path;
    }

    private static string RunFolder(string runs) => Directory.GetDirectories(Path.Combine(runs, "tracked")).Single();

    /// <summary>metrics.jsonl's points by key: what the run logged, each step once; system metrics (one record a point) included.</summary>
    private static Dictionary<string, List<(long Step, double Value)>> Logged(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .SelectMany(e => e.GetProperty("kind").GetString() switch
            {
                "metric" => [(Key: e.GetProperty("key").GetString()!, Step: e.GetProperty("step").GetInt64(), Value: e.GetProperty("value").GetDouble())],
                "system" => e.GetProperty("metrics").EnumerateObject().Select(m => (Key: m.Name, Step: e.GetProperty("step").GetInt64(), Value: m.Value.GetDouble())),
                _ => [],
            })
            .GroupBy(p => p.Key)
            .ToDictionary(g => g.Key, g => g.Select(p => (p.Step, p.Value)).ToList());

    /// <summary>The server's run holds every logged point exactly once, with the same values.</summary>
    private void ShouldHoldEveryPointOnce(JsonNode run, string folder)
    {
        var id = run["info"]!["run_id"]!.GetValue<string>();
        var logged = Logged(folder);
        logged.Should().ContainKey("loss/recon-mse");
        foreach (var (key, points) in logged)
        {
            var remote = server.History(id, key);
            remote.Select(p => p.Step).Should().OnlyHaveUniqueItems($"no step of {key} is on the server twice");
            remote.OrderBy(p => p.Step).Select(p => p.Step).Should().Equal(points.OrderBy(p => p.Step).Select(p => p.Step), $"every point of {key} reached the server");
            var values = remote.ToDictionary(p => p.Step, p => p.Value);
            foreach (var (step, value) in points) values[step].Should().BeApproximately(value, Math.Abs(value) * 1e-12 + 1e-300, $"{key} at step {step}");
        }
    }

    private static string Param(JsonNode run, string key) =>
        run["data"]!["params"]!.AsArray().Single(p => p!["key"]!.GetValue<string>() == key)!["value"]!.GetValue<string>();

    private static Dictionary<string, string> Tags(JsonNode run) =>
        run["data"]!["tags"]!.AsArray().ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["value"]!.GetValue<string>());

    [Fact]
    public void A_run_reaches_the_server_with_params_tags_every_metric_point_artifacts_and_status()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", Experiment(), "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var run = server.Runs(experiment).Should().ContainSingle().Subject;
        run["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        run["info"]!["run_name"]!.GetValue<string>().Should().Be("tracked");
        Param(run, "trainer.epochs").Should().Be("2");
        Param(run, "method.plugin").Should().Be("autoencoder");
        Tags(run).Should().ContainKeys("replab.config_hash", "replab.plugin.method", "replab.local_run_id");
        ShouldHoldEveryPointOnce(run, RunFolder(Runs));
        server.Artifacts(run["info"]!["run_id"]!.GetValue<string>()).Should().Contain(["config.yaml", "evaluation.json", "encoder.safetensors"]);
    }

    [Fact]
    public void An_export_of_a_finished_and_uploaded_run_reaches_its_server_run_at_once()
    {
        var exp = Experiment();
        CliRunner.Run("run", exp, "--runs-dir", Runs).code.Should().Be(0);
        var id = server.Runs(experiment).Should().ContainSingle().Subject["info"]!["run_id"]!.GetValue<string>();
        server.Artifacts(id).Should().NotContain("export", "the run ended and was uploaded before the export");

        var (code, stdout, stderr) = CliRunner.Run("export", exp, "--format", "onnx", "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("uploaded to the tracking server");
        server.Api($"artifacts/list?run_id={id}&path=export")["files"]!.AsArray().Select(f => f!["path"]!.GetValue<string>())
            .Should().Equal("export/encoder.onnx");
        server.Runs(experiment).Should().ContainSingle().Which["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
    }

    [Fact]
    public void The_real_mlflow_client_reads_our_file_store()
    {
        CliRunner.Run("run", Experiment(), "--runs-dir", Runs).code.Should().Be(0);
        var json = server.Python($$"""
            import json
            from mlflow import MlflowClient
            c = MlflowClient("file://{{Store}}")
            e = c.get_experiment_by_name("{{experiment}}")
            out = []
            for r in c.search_runs([e.experiment_id]):
                hist = {k: [[m.step, m.value] for m in c.get_metric_history(r.info.run_id, k)] for k in r.data.metrics}
                out.append({"status": r.info.status, "name": r.info.run_name, "params": r.data.params,
                            "tags": sorted(r.data.tags), "history": hist,
                            "artifacts": sorted(a.path for a in c.list_artifacts(r.info.run_id))})
            print(json.dumps(out))
            """);
        var runs = JsonNode.Parse(json)!.AsArray();
        var run = runs.Should().ContainSingle().Subject!;
        run["status"]!.GetValue<string>().Should().Be("FINISHED");
        run["name"]!.GetValue<string>().Should().Be("tracked");
        run["params"]!["trainer.batch-size"]!.GetValue<string>().Should().Be("16");
        run["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Contain("replab.config_hash");
        run["artifacts"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Contain(["config.yaml", "evaluation.json"]);
        var logged = Logged(RunFolder(Runs));
        var history = run["history"]!.AsObject();
        history.Select(h => h.Key).Should().BeEquivalentTo(logged.Keys, "the client sees every metric we logged");
        foreach (var (key, points) in logged)
            history[key]!.AsArray().Select(p => p![0]!.GetValue<long>()).OrderBy(s => s).Should().Equal(points.Select(p => p.Step).OrderBy(s => s), key);
    }

    [Fact]
    public void System_metrics_reach_the_server_and_the_real_client_reads_them_from_our_store()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", Experiment(epochs: 6, trainSize: 256, tracking: ", system-metrics: { interval: 0.1 }"), "--runs-dir", Runs, "+trainer.device=cpu");
        code.Should().Be(0, stderr + stdout);
        var names = RepLab.Tracking.SystemMetricNames.Host.Select(n => RepLab.Tracking.SystemMetricNames.Prefix + n).ToList();
        var logged = Logged(RunFolder(Runs));
        logged.Keys.Where(k => k.StartsWith("system/", StringComparison.Ordinal)).Should().BeEquivalentTo(names, "MLflow's CPU, memory, disk and network names; no GPU on the CPU");
        var steps = logged[names[0]].Select(p => p.Step).ToList();
        steps.Should().HaveCountGreaterThanOrEqualTo(3).And.Equal(Enumerable.Range(0, steps.Count).Select(i => (long)i), "MLflow's publish counter");

        // The server, through GET metrics/get-history.
        var run = server.Runs(experiment).Should().ContainSingle().Subject;
        var id = run["info"]!["run_id"]!.GetValue<string>();
        foreach (var name in names)
            server.History(id, name).Should().Equal(logged[name], $"{name} on the server, each step once");
        ShouldHoldEveryPointOnce(run, RunFolder(Runs));

        // MLflow's own client, on our local store.
        var json = server.Python($$"""
            import json
            from mlflow import MlflowClient
            c = MlflowClient("file://{{Store}}")
            r = c.search_runs([c.get_experiment_by_name("{{experiment}}").experiment_id])[0]
            print(json.dumps({k: [[m.step, m.value] for m in c.get_metric_history(r.info.run_id, k)] for k in r.data.metrics if k.startswith("system/")}))
            """);
        var history = JsonNode.Parse(json)!.AsObject();
        history.Select(h => h.Key).Should().BeEquivalentTo(names);
        foreach (var name in names)
            history[name]!.AsArray().Select(p => (p![0]!.GetValue<long>(), p[1]!.GetValue<double>())).OrderBy(p => p.Item1).Should().Equal(logged[name], name);
    }

    [Fact]
    public void A_resumed_run_continues_the_same_server_run_with_every_step_once()
    {
        var exp = Experiment(epochs: 3);
        CliRunner.Run("run", exp, "--runs-dir", Runs, "--stop-after-steps", "7").code.Should().Be(0);
        server.Runs(experiment).Should().ContainSingle().Which["info"]!["status"]!.GetValue<string>().Should().Be("KILLED");
        var (code, stdout, stderr) = CliRunner.Run("run", exp, "--runs-dir", Runs, "--resume");
        code.Should().Be(0, stderr + stdout);
        var run = server.Runs(experiment).Should().ContainSingle("the resumed run is the same server run").Subject;
        run["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        ShouldHoldEveryPointOnce(run, RunFolder(Runs));
        server.History(run["info"]!["run_id"]!.GetValue<string>(), "loss/recon-mse").Should().HaveCount(18, "three epochs of six steps");
        Inputs(run["info"]!["run_id"]!.GetValue<string>()).Should().HaveCount(2, "the resumed run logged its datasets once");
    }

    /// <summary>The dataset records of metrics.jsonl: what the run logged.</summary>
    private static List<JsonNode> RecordedDatasets(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(l => l["kind"]!.GetValue<string>() == "dataset").SelectMany(l => l["datasets"]!.AsArray().Select(d => d!)).ToList();

    /// <summary>The run's dataset inputs through GET runs/get.</summary>
    private List<JsonNode> Inputs(string runId) =>
        server.Api($"runs/get?run_id={runId}")["run"]!["inputs"]?["dataset_inputs"]?.AsArray().Select(i => i!).ToList() ?? [];

    private static readonly string[] DatasetFields = ["name", "digest", "source_type", "source", "schema", "profile"];

    /// <summary>Each recorded dataset, field by field and with its context, among <paramref name="inputs"/> (MLflow's DatasetInput JSON).</summary>
    private static void ShouldHoldTheRecordedDatasets(List<JsonNode> inputs, List<JsonNode> recorded)
    {
        inputs.Should().HaveCount(recorded.Count);
        foreach (var d in recorded)
        {
            var input = inputs.Should().ContainSingle(i => i["dataset"]!["name"]!.GetValue<string>() == d["name"]!.GetValue<string>()).Subject;
            foreach (var field in DatasetFields) input["dataset"]![field]!.GetValue<string>().Should().Be(d[field]!.GetValue<string>(), field);
            input["tags"]!.AsArray().Select(t => (t!["key"]!.GetValue<string>(), t["value"]!.GetValue<string>()))
                .Should().Equal(("mlflow.data.context", d["context"]!.GetValue<string>()));
        }
    }

    [Fact]
    public void A_runs_datasets_reach_the_server_with_both_contexts_and_a_resent_batch_adds_none()
    {
        var exp = Experiment();
        // Fashion-MNIST's files (a local source), as the end-to-end test reads them.
        File.WriteAllText(exp, File.ReadAllText(exp).Replace("{ plugin: synthetic, train-size: 96, test-size: 32 }", "{ plugin: idx, limit: 96 }"));
        var (code, stdout, stderr) = CliRunner.Run("run", exp, "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var recorded = RecordedDatasets(RunFolder(Runs));
        recorded.Select(d => (d["name"]!.GetValue<string>(), d["context"]!.GetValue<string>())).Should().Equal(("idx/train", "training"), ("idx/test", "evaluation"));
        recorded.Should().OnlyContain(d => d["source_type"]!.GetValue<string>() == "local");
        var id = server.Runs(experiment).Should().ContainSingle().Subject["info"]!["run_id"]!.GetValue<string>();
        ShouldHoldTheRecordedDatasets(Inputs(id), recorded);
        using (var client = new RepLab.Tracking.MlflowRestClient(new RepLab.Tracking.MlflowServer(server.Uri)))
            client.GetRunAsync(id).GetAwaiter().GetResult().Inputs!.DatasetInputs!
                .Select(i => (i.Dataset.Name, i.Dataset.Digest, i.Dataset.Profile, i.Tags!.Single().Value))
                .Should().BeEquivalentTo(recorded.Select(d => (d["name"]!.GetValue<string>(), d["digest"]!.GetValue<string>(), d["profile"]!.GetValue<string>(),
                    d["context"]!.GetValue<string>())), "our client reads the inputs back");

        // The answer to log-inputs lost (the upload state never recorded it): the next sync sends them again, the server keeps each once.
        var state = Directory.GetFiles(Store, "upload-*.json", SearchOption.AllDirectories).Should().ContainSingle().Subject;
        var json = JsonNode.Parse(File.ReadAllText(state))!.AsObject();
        json["inputs"] = new JsonArray();
        json["ended_status"] = null;
        File.WriteAllText(state, json.ToJsonString());
        var sync = CliRunner.Run("sync", "--to", server.Uri.ToString(), "--store", Store);
        sync.code.Should().Be(0, sync.stderr);
        ShouldHoldTheRecordedDatasets(Inputs(id), recorded);
    }

    [Fact]
    public void The_real_mlflow_client_reads_our_datasets_from_the_file_store()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", Experiment(), "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var json = server.Python($$"""
            import json
            from mlflow import MlflowClient
            c = MlflowClient("file://{{Store}}")
            e = c.get_experiment_by_name("{{experiment}}")
            [r] = c.search_runs([e.experiment_id])
            inputs = c.get_run(r.info.run_id).inputs.dataset_inputs
            print(json.dumps([{"dataset": {f: getattr(i.dataset, f) for f in {{JsonSerializer.Serialize(DatasetFields)}}},
                               "tags": [{"key": t.key, "value": t.value} for t in i.tags]} for i in inputs]))
            """);
        ShouldHoldTheRecordedDatasets(JsonNode.Parse(json)!.AsArray().Select(i => i!).ToList(), RecordedDatasets(RunFolder(Runs)));
    }

    [Fact]
    public void Our_schema_and_profile_hold_mlflows_numpy_dataset_ones_byte_for_byte()
    {
        long[] labels = [3, 0, 2, -1, 1, 1];
        var data = new RepLab.Tracking.TensorDataset("tiny", [6, 3, 4, 5], "uint8", 1, labels, 4, ["a", "b", "c", "d"]);
        var ours = RepLab.Tracking.DatasetDescriber.Describe(data, "d", [], new Dictionary<string, string>(), "training");
        var theirs = JsonNode.Parse(server.Python($$"""
            import json, numpy as np
            from mlflow.data.numpy_dataset import from_numpy
            d = from_numpy(np.zeros((6, 3, 4, 5), dtype=np.uint8), targets=np.array({{JsonSerializer.Serialize(labels)}}, dtype=np.int64), source="/x")
            print(json.dumps(d.to_dict()))
            """))!;
        // MLflow's keys first, as its json.dumps writes them; ours follow.
        ours.Schema.Should().StartWith(theirs["schema"]!.GetValue<string>().TrimEnd('}') + "}, \"classes\": ");
        ours.Profile.Should().StartWith(theirs["profile"]!.GetValue<string>().TrimEnd('}') + ", \"num_classes\": 4");
    }

    [Fact]
    public void An_outage_mid_run_loses_and_duplicates_nothing_once_replab_sync_has_run()
    {
        var exp = Experiment(epochs: 4, trainSize: 256);
        // Stop the server once the run has logged some steps; the run goes on offline.
        var stopper = Task.Run(() =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (DateTime.UtcNow < deadline)
            {
                var logs = Directory.Exists(Runs) ? Directory.GetFiles(Runs, "metrics.jsonl", SearchOption.AllDirectories) : [];
                if (logs.Length == 1 && File.ReadLines(logs[0]).Count(l => l.Contains("loss/recon-mse")) >= 8) break;
                Thread.Sleep(20);
            }
            server.Stop();
        });
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("run", exp, "--runs-dir", Runs);
            code.Should().Be(0, "training goes on through the outage: " + stderr + stdout);
            stopper.Wait(TimeSpan.FromSeconds(150)).Should().BeTrue();
            Logged(RunFolder(Runs))["loss/recon-mse"].Should().HaveCount(64, "every step is kept locally");
        }
        finally
        {
            stopper.Wait(TimeSpan.FromSeconds(150));
            server.Start();
        }
        var before = server.Runs(experiment);
        if (before.Count == 1)
            server.History(before[0]["info"]!["run_id"]!.GetValue<string>(), "loss/recon-mse").Count.Should().BeLessThan(64, "the server missed the steps after the outage");

        var sync = CliRunner.Run("sync", "--to", server.Uri.ToString(), "--store", Store);
        sync.code.Should().Be(0, sync.stderr);
        var run = server.Runs(experiment).Should().ContainSingle("the run is not created twice").Subject;
        run["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        ShouldHoldEveryPointOnce(run, RunFolder(Runs));
        CliRunner.Run("sync", "--to", server.Uri.ToString(), "--store", Store).stdout.Should().Contain("uploaded 0 (0 new metric points)", "a second sync sends nothing");
    }

    [Fact]
    public void Syncs_cut_by_their_deadline_leave_nothing_twice_and_a_later_sync_completes_the_run()
    {
        // The run, while nothing listened at the server's address: it ends at once, all in the local store.
        using var link = new FaultyLink();
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_URI", link.Uri.ToString());
        var (code, stdout, stderr) = CliRunner.Run("run", Experiment(), "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var logged = Logged(RunFolder(Runs));

        // A server that accepts and never answers (a stand-in): the sync ends at its deadline.
        link.Hang();
        var hung = CliRunner.Run("sync", "--store", Store, "--deadline", "3s");
        hung.code.Should().Be(1);
        hung.stderr.Should().Contain("deadline of 3s reached").And.NotContain("internal error");

        // The real server behind the link, whose answer to the metrics batch is lost: the batch lands, the sync cannot know.
        link.Relay(server.Uri, marker: "\"metrics\":[{");
        var cut = CliRunner.Run("sync", "--store", Store, "--deadline", "5s");
        cut.code.Should().Be(1, cut.stderr);
        cut.stderr.Should().Contain("deadline of 5s reached: 0 of 1 runs synced");
        var run = server.Runs(experiment).Should().ContainSingle().Subject;
        var runId = run["info"]!["run_id"]!.GetValue<string>();
        server.History(runId, "loss/recon-mse").Should().HaveCount(logged["loss/recon-mse"].Count, "the batch landed though its answer was lost");
        run["info"]!["status"]!.GetValue<string>().Should().Be("RUNNING", "the end goes up last");

        // The link works again: the next sync asks the server what landed and sends each point once.
        link.Relay(server.Uri);
        var sync = CliRunner.Run("sync", "--store", Store);
        sync.code.Should().Be(0, sync.stderr);
        run = server.Runs(experiment).Should().ContainSingle("the run is not created twice").Subject;
        run["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        ShouldHoldEveryPointOnce(run, RunFolder(Runs));
        CliRunner.Run("sync", "--store", Store).stdout.Should().Contain("uploaded 0 (0 new metric points)", "a second sync sends nothing");
    }

    [Fact]
    public void A_sweep_appears_on_the_server_as_a_parent_run_with_one_child_run_per_trial()
    {
        var exp = Experiment();
        File.AppendAllText(exp, """

            sweep:
              name: server-sweep
              metric: eval/knn/top1
              grid:
                encoder.features: [4, 8]
            """);
        var (code, stdout, stderr) = CliRunner.Run("sweep", exp, "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var runs = server.Runs(experiment);
        runs.Should().HaveCount(3);
        var parent = runs.Single(r => Tags(r).ContainsKey("replab.sweep"));
        parent["info"]!["run_name"]!.GetValue<string>().Should().Be("server-sweep");
        parent["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        var parentId = parent["info"]!["run_id"]!.GetValue<string>();
        var children = runs.Where(r => r != parent).ToList();
        children.Should().OnlyContain(r => Tags(r)["mlflow.parentRunId"] == parentId, "the children name the parent by its server id");
        children.Select(r => r["info"]!["run_name"]!.GetValue<string>()).Should().BeEquivalentTo(["tracked encoder.features=4", "tracked encoder.features=8"]);
        children.Should().OnlyContain(r => r["info"]!["status"]!.GetValue<string>() == "FINISHED");
        server.Artifacts(parentId).Should().Contain(["sweep.yaml", "report.md", "report.csv", "report.html"]);
        Tags(parent)["replab.sweep.values.encoder.features"].Should().Be("4, 8");
    }

    [Fact]
    public void A_nan_score_beside_a_finite_one_reaches_the_server_as_nan_and_the_run_finishes()
    {
        var path = TinyExperiment.Write(dir, "tracked", $"evaluation: [{{ plugin: non-finite, value: nan }}, {{ plugin: knn, k: 5 }}]\ntracking: {{ experiment: {experiment} }}",
            "{ plugin: synthetic, train-size: 64, test-size: 32 }");
        var (code, stdout, stderr) = CliRunner.Run("run", path, "--runs-dir", Runs);
        code.Should().Be(0, stderr + stdout);
        var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(RunFolder(Runs), "evaluation.json"))).RootElement;
        evaluation.GetProperty("eval/non-finite-nan").GetString().Should().Be("NaN");
        var top1 = evaluation.GetProperty("eval/knn/top1").GetDouble();
        top1.Should().BeInRange(0, 1);

        var run = server.Runs(experiment).Should().ContainSingle().Subject;
        run["info"]!["status"]!.GetValue<string>().Should().Be("FINISHED");
        var id = run["info"]!["run_id"]!.GetValue<string>();
        server.Api($"metrics/get-history?run_id={id}&metric_key={Uri.EscapeDataString("eval/non-finite-nan")}")["metrics"]!.AsArray()
            .Should().ContainSingle().Which!["value"]!.ToJsonString().Should().Be("\"NaN\"", "the server holds the NaN, as its REST API writes it");
        server.History(id, "eval/knn/top1").Should().ContainSingle().Which.Value.Should().Be(top1);
        server.Python($$"""
            import math
            from mlflow import MlflowClient
            m = MlflowClient("{{server.Uri}}").get_run("{{id}}").data.metrics
            print(math.isnan(m["eval/non-finite-nan"]), m["eval/knn/top1"])
            """).Trim().Should().StartWith("True ", "MLflow's own client reads a NaN back");
    }
}
