using FluentAssertions;
using RepLab.Abstractions;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Executors.Local;

/// <summary>The local executor alone, on shell trials: its slots' share of threads and GPUs (whole sweeps through it are in Sweeps/SweepRunTests).</summary>
public class LocalExecutorTests : CliHarness
{
    public LocalExecutorTests() : base("replab-local-")
    {
    }

    [Fact]
    public void The_local_executor_splits_the_threads_between_its_slots_and_deals_out_the_gpus_listed()
    {
        var executor = BuiltIn.Create<ISweepExecutor>("local", ("Gpus", new[] { 3, 5 }));
        var trials = Enumerable.Range(0, 2).Select(i => new TrialLaunch(i, $"t{i}",
            [$"sleep 1; echo $REPLAB_THREADS $CUDA_VISIBLE_DEVICES > {Path.Combine(Dir, $"env{i}")}"], Path.Combine(Dir, "logs", $"{i}.log"))).ToList();
        var updates = new List<TrialUpdate>();
        executor.Execute(new SweepLaunch("env", Dir, "/bin/sh", ["-c"], Dir, trials, 0, 4), u => { lock (updates) updates.Add(u); }, CancellationToken.None);
        updates.Where(u => u.State == TrialState.Succeeded).Should().HaveCount(2);
        new[] { File.ReadAllText(Path.Combine(Dir, "env0")).Trim(), File.ReadAllText(Path.Combine(Dir, "env1")).Trim() }
            .Should().BeEquivalentTo(["2 3", "2 5"], "two slots (one per GPU) share the 4 threads, one GPU each");
    }
}
