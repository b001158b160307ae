using FluentAssertions;
using RepLab.Host.Config;
using RepLab.Host.Run;
using Xunit;

namespace RepLab.Host.Tests.Run;

/// <summary>One run per run folder, and no name that reaches outside the runs folder.</summary>
public class RunFolderTests() : CliHarness("replab-runfolder-")
{
    private string Experiment(string name = "tiny")
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: "{{name}}"
            dataset: { plugin: synthetic, train-size: 64, test-size: 32 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: autoencoder }
            trainer: { epochs: 1, batch-size: 32, threads: 1 }
            """);
        return path;
    }

    [Fact]
    public void A_second_run_of_the_same_folder_is_refused_while_the_first_holds_it_and_allowed_after()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        var spec = ExperimentSpec.Bind(ExperimentLoader.Load(exp), Repo.BuiltIns);
        using (var held = RunFolder.Prepare(spec, runs, resume: false))
        {
            File.WriteAllText(Path.Combine(held.Path, "checkpoints", "marker"), "the first run's");
            var (code, _, stderr) = Cli("run", exp, "--runs-dir", runs);
            code.Should().Be(2);
            stderr.Should().Contain("is in use by another replab run").And.Contain($"pid {Environment.ProcessId} on {Environment.MachineName}");
            File.Exists(Path.Combine(held.Path, "checkpoints", "marker")).Should().BeTrue("the refused run touched nothing of the first's");
            FluentActions.Invoking(() => RunFolder.Prepare(spec, runs, resume: true)).Should().Throw<RunFolderLockedException>();
        }
        Cli("run", exp, "--runs-dir", runs).code.Should().Be(0, "the lock goes with its holder");
    }

    [Theory]
    [InlineData("../../escaped", "_.._escaped")]
    [InlineData("/etc/passwd", "_etc_passwd")]
    [InlineData("..", "experiment")]
    [InlineData("simclr_b256 (try 2)", "simclr_b256__try_2_")]
    public void Names_become_one_safe_folder_inside_the_runs_folder(string name, string folder)
    {
        RunFolder.SafeName(name).Should().Be(folder);
        var runs = Path.Combine(Dir, "runs");
        Cli("run", Experiment(name), "--runs-dir", runs).code.Should().Be(0);
        Directory.GetDirectories(runs).Select(Path.GetFileName).Should().Equal(folder);
        Directory.GetDirectories(Dir).Select(Path.GetFileName).Should().BeEquivalentTo(["runs", "mlruns"], "nothing is written beside the runs folder");
    }
}
