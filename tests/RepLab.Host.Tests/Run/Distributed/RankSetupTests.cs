using FluentAssertions;
using RepLab.Host.Experiment;
using RepLab.Host.Run.Distributed;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Run.Distributed;

/// <summary>Where a process stands in a data-parallel run, from the launcher's or Slurm's environment; the gradient buckets; exit codes in words.</summary>
public sealed class RankSetupTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] pairs) => k => pairs.FirstOrDefault(p => p.Key == k).Value;

    [Fact]
    public void One_process_has_no_rank()
    {
        RankSetup.FromEnvironment(new DistributedOptions(), Env()).Should().BeNull();
        // A Slurm batch script (no step of several tasks) is not a rank either: replab run starts local ranks there.
        RankSetup.FromEnvironment(new DistributedOptions { Processes = 2 }, Env(("SLURM_NTASKS", "2"), ("SLURM_PROCID", "0"), ("SLURM_JOB_ID", "7"))).Should().BeNull();
    }

    [Fact]
    public void The_local_launcher_names_rank_world_and_address()
    {
        var setup = RankSetup.FromEnvironment(new DistributedOptions { Processes = 2 },
            Env(("REPLAB_RANK", "1"), ("REPLAB_WORLD_SIZE", "2"), ("REPLAB_MASTER_ADDR", "127.0.0.1"), ("REPLAB_MASTER_PORT", "29501")));
        setup.Should().Be(new RankSetup(1, 2, "127.0.0.1", 29501, "local"));
        setup!.IsLeader.Should().BeFalse();
    }

    [Fact]
    public void An_srun_task_takes_its_rank_from_slurm_and_rank_0s_node_and_a_port_from_the_job()
    {
        var setup = RankSetup.FromEnvironment(new DistributedOptions { Processes = 4 },
            Env(("SLURM_STEP_NUM_TASKS", "4"), ("SLURM_PROCID", "3"), ("SLURM_JOB_ID", "123"), ("SLURM_STEP_NODELIST", "gpu[07-08,11]")));
        setup.Should().Be(new RankSetup(3, 4, "gpu07", 20_123, "slurm"));
    }

    [Fact]
    public void Slurm_tasks_that_are_not_the_configured_processes_are_refused_with_both_numbers()
    {
        var act = () => RankSetup.FromEnvironment(new DistributedOptions { Processes = 2 }, Env(("SLURM_STEP_NUM_TASKS", "4"), ("SLURM_PROCID", "0")));
        act.Should().Throw<ArgumentException>().WithMessage("*processes is 2 but srun started 4 tasks*");
    }

    [Fact]
    public void A_rank_outside_the_world_is_refused()
    {
        var act = () => RankSetup.FromEnvironment(new DistributedOptions { Processes = 2 },
            Env(("REPLAB_RANK", "2"), ("REPLAB_WORLD_SIZE", "2"), ("REPLAB_MASTER_PORT", "29501")));
        act.Should().Throw<ArgumentException>().WithMessage("rank 2 of 2*");
    }

    [Theory]
    [InlineData("node1", "node1")]
    [InlineData("a1,b2", "a1")]
    [InlineData("node[3-5,7]", "node3")]
    [InlineData("rack2-n[010-012]", "rack2-n010")]
    public void The_first_node_of_a_slurm_node_list(string list, string first) => RankSetup.FirstNode(list).Should().Be(first);

    [Fact]
    public void Gradients_go_in_buckets_of_one_dtype_up_to_the_bucket_size()
    {
        var quarter = DataParallel.BucketBytes / 4 / 4;  // float32 elements in a quarter of a bucket
        var grads = new[] { torch.zeros([quarter]), torch.zeros([quarter]), torch.zeros([quarter * 3]), torch.zeros([4], ScalarType.Float64), torch.zeros([2]) };
        var buckets = DataParallel.Buckets(grads).Select(b => b.Count).ToList();
        buckets.Should().Equal(2, 1, 1, 1);
    }

    [Theory]
    [InlineData(137, "was killed by signal 9 (SIGKILL)")]
    [InlineData(143, "was killed by signal 15 (SIGTERM)")]
    [InlineData(1, "exited with code 1")]
    public void An_exit_code_in_words(int code, string words) => RankLauncher.Describe(code).Should().Be(words);
}
