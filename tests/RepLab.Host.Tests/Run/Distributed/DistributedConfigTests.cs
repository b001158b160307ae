using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Run.Distributed;

/// <summary><c>trainer.distributed</c> in an experiment: what is refused before anything loads, and what enters the config hash.</summary>
public sealed class DistributedConfigTests() : CliHarness("replab-ddp-config")
{
    private string Experiment(string trainer) => TinyExperiment.Write(Dir, "ddp", extra: "") is var path
        ? Rewrite(path, trainer)
        : path;

    private static string Rewrite(string path, string trainer)
    {
        var lines = File.ReadAllLines(path).Select(l => l.StartsWith("trainer:", StringComparison.Ordinal) ? $"trainer: {trainer}" : l);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Theory]
    [InlineData("{ batch-size: 15, distributed: { processes: 2 } }", "trainer.batch-size", "must split evenly over distributed.processes 2")]
    [InlineData("{ batch-size: 16, drop-last: false, distributed: { processes: 2 } }", "trainer.drop-last", "ranks split whole batches only")]
    [InlineData("{ batch-size: 16, distributed: { sync-batch-norm: true } }", "trainer.distributed.sync-batch-norm", "needs processes of 2 or more")]
    [InlineData("{ batch-size: 16, distributed: { processes: 2, backend: mpi } }", "trainer.distributed.backend", "mpi")]
    public void A_bad_distributed_setting_is_refused_at_its_key_with_exit_2(string trainer, string key, string message)
    {
        var (code, _, err) = Cli("validate", Experiment(trainer));
        code.Should().Be(2, err);
        err.Should().Contain(key).And.Contain(message).And.Contain("ddp.yaml");
    }

    private string HashOf(params string[] overrides)
    {
        var (code, output, err) = Cli(["config", Experiment("{ batch-size: 16, distributed: { processes: 2 } }"), .. overrides]);
        code.Should().Be(0, err);
        return output.Split('\n').Single(l => l.StartsWith("# config hash:", StringComparison.Ordinal));
    }

    [Fact]
    public void How_ranks_meet_stays_out_of_the_hash_and_what_changes_results_goes_in()
    {
        var plain = HashOf();
        HashOf("+trainer.distributed.timeout=30", "+trainer.distributed.port=29555").Should().Be(plain);
        HashOf("trainer.distributed.processes=4").Should().NotBe(plain);
        HashOf("+trainer.distributed.sync-batch-norm=true").Should().NotBe(plain);
    }
}
