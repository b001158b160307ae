using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Torch;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// <c>replab export</c> on real finished runs: the run's representation rebuilt from its folder, written as ONNX and
/// as PyTorch weights with a module, logged to the run's MLflow run; and what it refuses (exit 2, located).
/// </summary>
public sealed class ExportCommandTests() : CliHarness("replab-export-")
{
    private string Train(string name, string encoder, string method, string data = "")
    {
        var path = Path.Combine(Dir, name + ".yaml");
        File.WriteAllLines(path,
        [
            $"name: {name}", "seed: 3", $"plugins: [{Repo.Fixture("PluginNan")}]",
            "dataset: { plugin: synthetic, train-size: 48, test-size: 16 }", $"encoder: {encoder}", $"method: {method}",
            "trainer: { epochs: 1, batch-size: 16, threads: 1 }", data,
        ]);
        var (code, _, stderr) = Cli("run", path, "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        return path;
    }

    private string Runs => Path.Combine(Dir, "runs");

    private string RunFolder(string name) => Directory.GetDirectories(Path.Combine(Runs, name)).Single();

    [Fact]
    public void An_onnx_export_of_a_trained_dcgan_runs_in_onnx_runtime_as_the_runs_representation_and_is_logged_to_its_mlflow_run()
    {
        // The DCGAN's representation: the discriminator's maps of 14, 7 and 3 px pooled to 4x4, behind the run's input normalisation.
        var experiment = Train("gan", "{ plugin: dcgan-discriminator, width: 8 }", "{ plugin: dcgan, generator-width: 8, noise: 16 }", "data: { normalize: auto }");
        var (code, stdout, stderr) = Cli("export", experiment, "--format", "onnx", "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        var folder = RunFolder("gan");
        var model = Path.Combine(folder, "artifacts", "export", "encoder.onnx");
        stdout.Should().Contain($"wrote {model}").And.Contain("logged as artifacts export/ of MLflow run");

        using var rebuilt = RunExport.Rebuild(new RunRecords(folder));
        using var scope = torch.NewDisposeScope();
        var images = torch.rand([3, 1, 28, 28], generator: new Generator(7));
        using var ng = torch.no_grad();
        var ours = rebuilt.Module.forward(images).data<float>().ToArray();
        using var session = new InferenceSession(model);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("images", new DenseTensor<float>(images.data<float>().ToArray(), [3, 1, 28, 28]))]);
        var theirs = outputs[0].AsEnumerable<float>().ToArray();
        theirs.Should().HaveCount(ours.Length).And.HaveCount(3 * rebuilt.Module.Features);
        theirs.Zip(ours, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-5f);

        var mlflowRun = new MlflowFileStore(Path.Combine(Dir, "mlruns")).Runs().Single();
        File.ReadAllBytes(Path.Combine(mlflowRun.Directory, "artifacts", "export", "encoder.onnx")).Should().Equal(File.ReadAllBytes(model));
    }

    [Fact]
    public void A_pytorch_export_holds_the_runs_saved_weights_under_their_state_dict_keys_with_a_module_definition()
    {
        Train("ae", "{ plugin: conv-small, features: 8 }", "{ plugin: autoencoder }");
        var folder = RunFolder("ae");
        var output = Path.Combine(Dir, "out");
        var (code, stdout, stderr) = Cli("export", "ae", "--format", "pytorch", "--runs-dir", Runs, "--output", output);
        code.Should().Be(0, stderr);
        stdout.Should().Contain(Path.Combine(output, "encoder.safetensors")).And.Contain(Path.Combine(output, "encoder.py"));

        var (saved, _) = Safetensors.Load(Path.Combine(folder, "artifacts", RunRecords.EncoderArtifact));
        var (exported, metadata) = Safetensors.Load(Path.Combine(output, "encoder.safetensors"));
        exported.Keys.Should().BeEquivalentTo(saved.Keys);
        foreach (var (key, t) in saved) exported[key].equal(t).Should().BeTrue(key);
        metadata.Should().Contain("replab.encoder", "conv-small").And.Contain("replab.method", "autoencoder");
        File.ReadAllText(Path.Combine(output, "encoder.py")).Should().Contain("def build(");
        var mlflowRun = new MlflowFileStore(Path.Combine(Dir, "mlruns")).Runs().Single();
        Directory.GetFiles(Path.Combine(mlflowRun.Directory, "artifacts", "export")).Select(Path.GetFileName).Should().BeEquivalentTo(["encoder.safetensors", "encoder.py"]);
    }

    [Fact]
    public void An_encoder_with_a_layer_the_exporter_does_not_know_is_refused_by_its_path_and_type_with_exit_2_and_nothing_written()
    {
        Train("opaque", "{ plugin: opaque }", "{ plugin: autoencoder }");
        var (code, _, stderr) = Cli("export", "opaque", "--runs-dir", Runs);
        code.Should().Be(2, stderr);
        stderr.Should().Contain("body.1").And.Contain("PluginNan.Sine").And.Contain("IExportable").And.NotContain("internal error");
        Directory.Exists(Path.Combine(RunFolder("opaque"), "artifacts", "export")).Should().BeFalse();
    }

    [Fact]
    public void A_run_whose_experiment_names_its_plugins_relative_to_its_file_exports_from_that_file()
    {
        var path = Path.Combine(Dir, "relative.yaml");
        File.WriteAllLines(path,
        [
            "name: relative", $"plugins: [{Path.GetRelativePath(Dir, Repo.Fixture("PluginNan"))}]",
            "dataset: { plugin: synthetic, train-size: 32, test-size: 16 }", "encoder: { plugin: conv-small, features: 8 }",
            "method: { plugin: autoencoder }", "trainer: { epochs: 1, batch-size: 16, threads: 1 }",
        ]);
        Cli("run", path, "--runs-dir", Runs).code.Should().Be(0);

        // The run folder's config.yaml keeps the path as written, relative to a file the folder does not record.
        var (code, _, stderr) = Cli("export", "relative", "--runs-dir", Runs);
        code.Should().Be(2, stderr);
        stderr.Should().Contain("plugins.0").And.Contain("pass that file as RUN").And.NotContain("internal error");

        (code, _, stderr) = Cli("export", path, "--runs-dir", Runs);
        code.Should().Be(0, stderr);
        File.Exists(Path.Combine(RunFolder("relative"), "artifacts", "export", "encoder.onnx")).Should().BeTrue();
    }

    [Fact]
    public void A_run_that_did_not_finish_or_does_not_exist_is_refused_with_exit_2()
    {
        var experiment = TinyExperiment.Write(Dir, "cut");
        Cli("run", experiment, "--runs-dir", Runs, "--stop-after-steps", "1").code.Should().Be(0);
        var (code, _, stderr) = Cli("export", "cut", "--runs-dir", Runs);
        code.Should().Be(2, stderr);
        stderr.Should().Contain("has no encoder.safetensors").And.Contain("when it finishes");

        (code, _, stderr) = Cli("export", "cutt", "--runs-dir", Runs);
        code.Should().Be(2);
        stderr.Should().Contain("no run 'cutt'").And.Contain("did you mean");
    }
}
