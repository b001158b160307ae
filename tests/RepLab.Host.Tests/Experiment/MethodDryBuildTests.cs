using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Experiment;

public class MethodDryBuildTests : CliHarness
{
    public MethodDryBuildTests() : base("replab-drybuild-") { }

    private string Experiment(string fixture, string method, string dataset, string extra = "")
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: guard
            plugins: [{{Repo.Fixture(fixture)}}]
            dataset: {{dataset}}
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: {{method}} }
            trainer: { epochs: 1, batch-size: 16, threads: 1 }
            {{extra}}
            """);
        return path;
    }

    [Fact]
    public void Validate_refuses_an_undeclared_optimizer_group_without_loading_the_dataset()
    {
        // The tripwire dataset declares its shape and throws if anything loads it.
        var (code, _, stderr) = Cli("validate", Experiment("GuardUndeclaredGroup", "undeclared-group-fixture", "{ plugin: tripwire-fixture }"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("exp.yaml:5:").And.Contain("method 'undeclared-group-fixture' created optimizer group 'head' without declaring it")
            .And.Contain("(declared: all)").And.NotContain("tripwire").And.NotContain("internal error");
    }

    [Fact]
    public void A_run_meeting_an_undeclared_optimizer_group_exits_2_with_a_located_message()
    {
        var (code, _, stderr) = Cli("run", Experiment("GuardUndeclaredGroup", "undeclared-group-fixture", "{ plugin: synthetic, train-size: 32, test-size: 16 }"),
            "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("exp.yaml:5:").And.Contain("optimizer group 'head'").And.NotContain("internal error").And.NotContain("InvalidOperationException");
    }

    [Fact]
    public void Validate_refuses_a_method_that_hides_a_module_from_its_checkpoint()
    {
        var (code, _, stderr) = Cli("validate", Experiment("GuardHiddenModule", "hidden-module-fixture", "{ plugin: synthetic }"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("holds module field 'projector'");
    }

    [Fact]
    public void A_sweep_validates_its_trials_and_refuses_one_whose_method_creates_an_undeclared_group()
    {
        var good = Experiment("GuardUndeclaredGroup", "autoencoder", "{ plugin: synthetic }", "sweep:\n  grid:\n    optimizer.lr: [0.1, 0.2, 0.3]\n");
        var (code, stdout, stderr) = Cli("validate", good);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("3 trials, all valid");

        var bad = Experiment("GuardUndeclaredGroup", "autoencoder", "{ plugin: synthetic }", "sweep:\n  grid:\n    method.plugin: [autoencoder, undeclared-group-fixture]\n");
        var (code2, _, stderr2) = Cli("validate", bad);
        code2.Should().Be(2, stderr2);
        stderr2.Should().Contain("optimizer group 'head'");
    }
}
