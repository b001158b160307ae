using FluentAssertions;
using RepLab.Host.Plugins;
using Xunit;

namespace RepLab.Host.Tests;

public class CliTests() : CliHarness("replab-cli-")
{
    private string Write(string yaml)
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Validate_accepts_a_good_experiment()
    {
        var path = Write("dataset: { plugin: synthetic }\nencoder: { plugin: conv-small, features: 64 }\nmethod: { plugin: autoencoder }\nevaluation:\n  - { plugin: knn, k: 5 }\n");
        var (code, stdout, stderr) = Cli("validate", path);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("valid (4 plugin sections bound)");
    }

    [Fact]
    public void Bad_options_exit_2_with_file_line_and_key_path()
    {
        var path = Write("dataset: { plugin: synthetic }\nencoder: { plugin: conv-small, features: 64 }\nevaluation:\n  - { plugin: knn, k: 0, temprature: 0.1 }\n");
        var (code, _, stderr) = Cli("validate", path);
        code.Should().Be(2);
        stderr.Should().Contain($"{path}:4:").And.Contain("evaluation.0.k").And.Contain("evaluation.0.temprature").And.Contain("did you mean 'temperature'");
        stderr.Should().NotContain("   at ", "user errors are messages, not stack traces");
    }

    [Fact]
    public void Run_refuses_an_unknown_device_at_its_file_line_and_key_before_making_a_run_folder()
    {
        var path = Write("dataset: { plugin: synthetic }\nencoder: { plugin: conv-small, features: 8 }\nmethod: { plugin: autoencoder }\ntrainer:\n  epochs: 1\n  device: tpu\n");
        var runs = Path.Combine(Dir, "runs");
        var (code, _, stderr) = Cli("run", path, "--runs-dir", runs);
        code.Should().Be(2, stderr);
        stderr.Should().Contain($"{path}:6:11: trainer.device: unknown device 'tpu' (did you mean 'cpu'?)");
        stderr.Should().NotContain("internal error");
        Directory.Exists(runs).Should().BeFalse("the device is checked with the other options, before the run starts");
    }

    [Fact]
    public void Unknown_plugins_and_overrides_exit_2_with_suggestions()
    {
        var path = Write("encoder: { plugin: conv-smal }\ndataset: { plugin: synthetic }\n");
        var (code, _, stderr) = Cli("validate", path);
        code.Should().Be(2);
        stderr.Should().Contain($"{path}:1:").And.Contain("did you mean 'conv-small'");
        Cli("config", path, "encoder.plugn=x").code.Should().Be(2);
    }

    [Fact]
    public void Config_prints_the_resolved_experiment_and_its_hash()
    {
        var path = Write("seed: 1\nencoder: { plugin: conv-small }\n");
        var (code, stdout, _) = Cli("config", path, "seed=7");
        code.Should().Be(0);
        stdout.Should().Contain("seed: 7").And.MatchRegex("# config hash: [0-9a-f]{64}");
    }

    [Fact]
    public void Preview_writes_a_png_with_a_row_per_image_and_a_column_per_view()
    {
        var path = Write("dataset: { plugin: synthetic }\nencoder: { plugin: conv-small }\nviews:\n  - &v [{ plugin: random-resized-crop }, { plugin: random-flip }]\n  - *v\n");
        var png = Path.Combine(Dir, "views.png");
        var (code, stdout, stderr) = Cli("preview", path, "-o", png, "-n", "5");
        code.Should().Be(0, stderr);
        stdout.Should().Contain(png);
        var bytes = File.ReadAllBytes(png);
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        width.Should().Be(3 * (28 * 3 + 2) + 2, "original + 2 views, zoomed 3x, 2 px padding");
        height.Should().Be(5 * (28 * 3 + 2) + 2);
        Cli("preview", Write("dataset: { plugin: synthetic }\nencoder: { plugin: conv-small }\n"), "-o", png).code.Should().Be(2, "nothing to preview without views");
    }

    [Fact]
    public void Plugins_lists_every_built_in_with_its_options()
    {
        var (code, stdout, _) = Cli("plugins");
        code.Should().Be(0);
        stdout.Should().Contain("conv-small").And.Contain("linear-probe").And.Contain("knn").And.Contain("temperature").And.Contain("idx");
        stdout.Should().Contain("views: 0; optimizer groups: all (adam, lr 0.001, constant)", "a method's declared optimizer groups are listed");
    }
}
