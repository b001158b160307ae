using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace RepLab.Host.Tests.Tracking;

/// <summary>
/// A run's datasets (MLflow's dataset inputs): described as MLflow's NumpyDataset describes arrays,
/// kept in the run's records, written to the local store in MLflow's FileStore layout, shipped to a
/// server (the <see cref="MlflowStandInServer"/>) once, and left alone by the store doctor.
/// </summary>
public class DatasetInputTests : IDisposable
{
    private readonly string root = Path.Combine(Directory.CreateTempSubdirectory("replab-datasets-").FullName, "mlruns");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);

    /// <summary>Five 1x2x2 images (bytes 0..19), labels 0, 2, 2, -1, 1 of 3 classes.</summary>
    private static TensorDataset Tiny(string name = "tiny/train", long[]? labels = null, IReadOnlyList<string>? names = null) =>
        new(name, [5, 1, 2, 2], "uint8", 1, labels ?? [0, 2, 2, -1, 1], 3, names);

    private static readonly byte[] Pixels = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();

    private static string Digest(TensorDataset data, byte[]? pixels = null, int pieces = 1)
    {
        var bytes = pixels ?? Pixels;
        var size = (bytes.Length + pieces - 1) / pieces;
        return DatasetDescriber.Digest(data, bytes.Chunk(size).Select(c => new ReadOnlyMemory<byte>(c)));
    }

    private static DatasetInput Input(string context = DatasetInput.Training, string name = "tiny/train") =>
        DatasetDescriber.Describe(Tiny(name, names: ["a", "b", "c"]), Digest(Tiny(name)), [], new Dictionary<string, string> { ["replab.dataset"] = "tiny" }, context);

    private static YamlMappingNode Yaml(string path)
    {
        var yaml = new YamlStream();
        using (var r = new StreamReader(path)) yaml.Load(r);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<string> Keys(YamlMappingNode map) => map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();

    private static string Value(YamlMappingNode map, string key) => ((YamlScalarNode)map.Children[new YamlScalarNode(key)]).Value!;

    [Fact]
    public void Dataset_and_input_ids_are_the_md5s_mlflow_computes()
    {
        // hashlib.md5(b"idx/train" + b"0123456789abcdef").hexdigest(), and of that id + the run id: MLflow's FileStore ids.
        MlflowFileStore.DatasetId("idx/train", "0123456789abcdef").Should().Be("e3550bd1874e3fa1f27aafff1490e9df");
        MlflowFileStore.InputId("e3550bd1874e3fa1f27aafff1490e9df", "4c1b9e3f2a6d48e7a0b5c9d8e7f6a5b4").Should().Be("0d602faa9a9a31bec748fe92d1717776");
    }

    [Fact]
    public void The_digest_is_short_hex_and_changes_with_the_content_and_only_with_it()
    {
        var digest = Digest(Tiny());
        digest.Should().MatchRegex("^[0-9a-f]{16}$").And.HaveLength(DatasetDescriber.DigestLength);
        Digest(Tiny(), pieces: 3).Should().Be(digest, "pieces of any size hash as the whole");
        Digest(Tiny(names: ["x", "y", "z"])).Should().Be(digest, "names describe the classes; the content is the same");
        var changed = (byte[])Pixels.Clone();
        changed[17] ^= 1;
        Digest(Tiny(), changed).Should().NotBe(digest, "one pixel changed");
        Digest(Tiny(labels: [0, 2, 2, -1, 0])).Should().NotBe(digest, "one label changed");
        Digest(Tiny() with { Labels = null, Classes = 0 }).Should().NotBe(digest, "the labels dropped");
        Digest(Tiny() with { Shape = [5, 1, 4, 1] }).Should().NotBe(digest, "the same bytes in another shape");
    }

    [Fact]
    public void Schema_and_profile_are_numpy_datasets_with_our_classes_and_counts()
    {
        var input = Input();
        var schema = JsonNode.Parse(input.Schema!)!;
        var spec = schema["mlflow_tensorspec"]!;
        // MLflow keeps each TensorSpec list as a JSON string inside the JSON.
        spec["features"]!.GetValue<string>().Should().Be("""[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 1, 2, 2]}}]""");
        spec["targets"]!.GetValue<string>().Should().Be("""[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]""");
        schema["classes"]!["count"]!.GetValue<int>().Should().Be(3);
        schema["classes"]!["names"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("a", "b", "c");
        input.Profile.Should().StartWith("""{"features_shape": [5, 1, 2, 2], "features_size": 20, "features_nbytes": 20, "targets_shape": [5], "targets_size": 5, "targets_nbytes": 40, """);
        var profile = JsonNode.Parse(input.Profile!)!;
        profile["num_classes"]!.GetValue<int>().Should().Be(3);
        profile["class_counts"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>())
            .Should().BeEquivalentTo(new Dictionary<string, long> { ["0"] = 1, ["1"] = 1, ["2"] = 2 });
        profile["unlabelled"]!.GetValue<long>().Should().Be(1);

        var unlabelled = DatasetDescriber.Describe(Tiny() with { Labels = null, Classes = 0 }, "d", [], new Dictionary<string, string>(), DatasetInput.Training);
        JsonNode.Parse(unlabelled.Schema!)!["mlflow_tensorspec"]!["targets"].Should().BeNull("NumpyDataset without targets");
        JsonNode.Parse(unlabelled.Profile!)!.AsObject().Select(kv => kv.Key).Should().Equal("features_shape", "features_size", "features_nbytes", "num_classes");
    }

    [Fact]
    public void A_description_stays_within_mlflows_limits_dropping_class_names_and_the_file_list_first()
    {
        var names = Enumerable.Range(0, 3).Select(i => new string((char)('a' + i), 30_000)).ToList();
        var files = Enumerable.Range(0, 5000).Select(i => Path.Combine(Path.GetTempPath(), "d", $"file-{i:D5}-of-a-long-listing.bin")).ToList();
        var input = DatasetDescriber.Describe(Tiny(new string('n', 600), names: names), "d", files, new Dictionary<string, string>(), DatasetInput.Training);
        input.Name.Should().HaveLength(DatasetInput.MaxNameLength).And.EndWith("...");
        input.Schema!.Length.Should().BeLessThanOrEqualTo(DatasetInput.MaxSchemaLength);
        JsonNode.Parse(input.Schema)!["classes"]!["count"]!.GetValue<int>().Should().Be(3);
        JsonNode.Parse(input.Schema)!["classes"]!["names"].Should().BeNull();
        input.Source.Should().Be($$"""{"uri": "{{Path.Combine(Path.GetTempPath(), "d")}}"}""");
    }

    [Fact]
    public void A_source_is_local_with_the_path_or_its_files_folder_else_code_with_its_tags()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fm");
        var code = new Dictionary<string, string> { ["replab.splits"] = "train", ["replab.dataset"] = "synthetic" };
        DatasetDescriber.Source([Path.Combine(folder, "x.bin")], code).Should().Be(("local", $$"""{"uri": "{{Path.Combine(folder, "x.bin")}}"}"""));
        var (type, json) = DatasetDescriber.Source([Path.Combine(folder, "train-images.gz"), Path.Combine(folder, "train-labels.gz")], code);
        type.Should().Be("local");
        JsonNode.Parse(json)!["uri"]!.GetValue<string>().Should().Be(folder);
        JsonNode.Parse(json)!["files"]!.AsArray().Select(f => f!.GetValue<string>()).Should().Equal("train-images.gz", "train-labels.gz");
        DatasetDescriber.Source([], code).Should().Be(("code", """{"tags": {"replab.dataset": "synthetic", "replab.splits": "train"}}"""));
    }

    [Fact]
    public void Logged_inputs_are_in_mlflows_file_store_layout_and_read_back()
    {
        var store = new MlflowFileStore(root);
        using var tracker = new MlflowTracker(store);
        tracker.Emit(MlflowFileStoreTests.Started());
        var train = Input();
        var test = Input(DatasetInput.Evaluation, "tiny/test") with { Schema = null };
        tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [train, test]));
        var run = tracker.Run!;

        var datasetId = MlflowFileStore.DatasetId(train.Name, train.Digest);
        var dataset = Yaml(Path.Combine(root, run.ExperimentId, "datasets", datasetId, "meta.yaml"));
        Keys(dataset).Should().Equal("digest", "name", "profile", "schema", "source", "source_type");
        (Value(dataset, "name"), Value(dataset, "digest"), Value(dataset, "source_type")).Should().Be((train.Name, train.Digest, "code"));
        (Value(dataset, "source"), Value(dataset, "schema"), Value(dataset, "profile")).Should().Be((train.Source, train.Schema, train.Profile));
        var testMeta = Yaml(Path.Combine(root, run.ExperimentId, "datasets", MlflowFileStore.DatasetId(test.Name, test.Digest), "meta.yaml"));
        ((YamlScalarNode)testMeta.Children[new YamlScalarNode("schema")]).Style.Should().Be(YamlDotNet.Core.ScalarStyle.Plain, "an absent schema is YAML's null");
        Value(testMeta, "schema").Should().Be("null");

        var input = Yaml(Path.Combine(run.Directory, "inputs", MlflowFileStore.InputId(datasetId, run.RunId), "meta.yaml"));
        Keys(input).Should().Equal("destination_id", "destination_type", "source_id", "source_type", "tags");
        (Value(input, "source_type"), Value(input, "source_id"), Value(input, "destination_type")).Should().Be(("DATASET", datasetId, "RUN"));
        var tags = (YamlMappingNode)input.Children[new YamlScalarNode("tags")];
        Value(tags, DatasetInput.ContextTag).Should().Be("training");

        MlflowFileStore.ReadInputs(run.Directory).Select(i => i.Input).Should().BeEquivalentTo([train, test]);
        MlflowFileStore.ReadInputs(run.Directory).Select(i => i.InputId).Should().Contain(MlflowFileStore.InputId(datasetId, run.RunId));
        store.Runs().Should().ContainSingle("an experiment's datasets folder is not a run");
    }

    [Fact]
    public void A_dataset_logged_again_changes_nothing_and_keeps_its_first_context()
    {
        var store = new MlflowFileStore(root);
        using var tracker = new MlflowTracker(store);
        tracker.Emit(MlflowFileStoreTests.Started());
        tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [Input()]));
        var run = tracker.Run!;
        var files = Directory.GetFiles(Path.Combine(root, run.ExperimentId), "*", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).ToList();
        tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [Input(DatasetInput.Evaluation)]));
        Directory.GetFiles(Path.Combine(root, run.ExperimentId), "*", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).Should().Equal(files);
        MlflowFileStore.ReadInputs(run.Directory).Should().ContainSingle().Which.Input.Context.Should().Be(DatasetInput.Training);
    }

    [Fact]
    public void Run_records_keep_each_logged_dataset_and_say_which_were_logged()
    {
        var folder = Path.GetDirectoryName(root)!;
        var records = new RunRecords(folder);
        using (var writer = records.OpenWriter(append: false))
        {
            writer.Emit(MlflowFileStoreTests.Started());
            writer.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [Input(), Input(DatasetInput.Evaluation, "tiny/test")]));
            writer.Emit(new RunResumed(DateTimeOffset.UtcNow, 0));
        }
        var line = File.ReadLines(records.MetricsFile).Select(l => JsonNode.Parse(l)!).Single(l => l["kind"]!.GetValue<string>() == RecordKind.Dataset);
        var first = line["datasets"]!.AsArray()[0]!;
        (first["name"]!.GetValue<string>(), first["context"]!.GetValue<string>(), first["source_type"]!.GetValue<string>()).Should().Be(("tiny/train", "training", "code"));
        first["profile"]!.GetValue<string>().Should().Be(Input().Profile);
        records.LoggedDatasets().Should().BeEquivalentTo([Input().Identity, Input(name: "tiny/test").Identity], "a resume keeps them");
        records.Read().Any.Should().BeTrue();
    }

    [Fact]
    public void The_store_doctor_leaves_an_experiments_datasets_folder_alone()
    {
        var store = new MlflowFileStore(root);
        using (var tracker = new MlflowTracker(store))
        {
            tracker.Emit(MlflowFileStoreTests.Started());
            tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [Input()]));
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
        }
        var datasets = Directory.GetDirectories(root, "datasets", SearchOption.AllDirectories).Should().ContainSingle().Subject;
        // A dataset folder holding a run part by name must still not pass for a run.
        Directory.CreateDirectory(Path.Combine(datasets, "metrics"));
        var before = Directory.GetFileSystemEntries(datasets, "*", SearchOption.AllDirectories);
        StoreDoctor.Examine(store).Should().BeEmpty();
        StoreDoctor.Repair(store).Should().BeEmpty();
        Directory.GetFileSystemEntries(datasets, "*", SearchOption.AllDirectories).Should().BeEquivalentTo(before);
        File.Exists(Path.Combine(datasets, "meta.yaml")).Should().BeFalse("no run meta was made up for it");
    }

    [Fact]
    public async Task Inputs_reach_the_server_once_across_syncs_and_a_lost_answer()
    {
        using var server = new MlflowStandInServer();
        var store = new MlflowFileStore(root);
        string runDir;
        using (var tracker = new MlflowTracker(store))
        {
            tracker.Emit(MlflowFileStoreTests.Started());
            tracker.Emit(new DatasetsLogged(DateTimeOffset.UtcNow, [Input(), Input(DatasetInput.Evaluation, "tiny/test")]));
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            runDir = tracker.Run!.Directory;
        }
        using var client = new MlflowRestClient(new MlflowServer(server.Uri));
        using (var uploader = new OfflineUploader(store, new MlflowRestClient(new MlflowServer(server.Uri)), TextWriter.Null))
        {
            (await uploader.SyncAllAsync(null)).RunsSynced.Should().Be(1);
            await uploader.SyncAllAsync(null);
        }
        server.Requests.Count(r => r.Path.EndsWith("runs/log-inputs", StringComparison.Ordinal)).Should().Be(1, "a second sync sends none");
        var remoteId = server.Runs.Values.Single().RunId;
        var inputs = (await client.GetRunAsync(remoteId)).Inputs!.DatasetInputs!;
        inputs.Select(i => (i.Dataset.Name, i.Tags!.Single().Value)).Should().BeEquivalentTo([("tiny/train", "training"), ("tiny/test", "evaluation")]);
        inputs.Single(i => i.Dataset.Name == "tiny/train").Dataset.Should().Be(new MlflowDataset(Input().Name, Input().Digest, "code", Input().Source, Input().Schema, Input().Profile));

        // The answer to log-inputs lost (the state never recorded it) and the run resumed: sent again, on the server once.
        var statePath = Directory.GetFiles(Path.Combine(runDir, MlflowFileStore.SidecarFolder), "upload-*.json").Single();
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        state["inputs"] = new JsonArray();
        state["ended_status"] = null;
        File.WriteAllText(statePath, state.ToJsonString());
        using (var uploader = new OfflineUploader(store, new MlflowRestClient(new MlflowServer(server.Uri)), TextWriter.Null))
            await uploader.SyncAllAsync(null);
        server.Requests.Count(r => r.Path.EndsWith("runs/log-inputs", StringComparison.Ordinal)).Should().Be(2);
        server.Runs.Values.Single().Inputs.Should().HaveCount(2, "the server keeps a dataset once per run");
        JsonSerializer.Deserialize<JsonObject>(File.ReadAllText(statePath))!["inputs"]!.AsArray().Should().HaveCount(2);
    }
}
