using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Executors.Slurm;

/// <summary>
/// One run of two ranks through the real single-node Slurm: the executor asks for two tasks and starts
/// the trial under srun; each task finds its rank in Slurm's environment; the run trains, evaluates on
/// rank 0 and is recorded as one MLflow run.
/// </summary>
[Collection("sweeps")]
public class SlurmDistributedTests() : CliHarness("replab-slurm-ddp-")
{
    [Fact]
    public void A_trial_of_two_srun_tasks_trains_evaluates_and_is_one_mlflow_run()
    {
        SlurmCluster.EnsureUp();
        var exp = Path.Combine(Dir, "ddp.yaml");
        File.WriteAllText(exp, """
            name: ddp
            seed: 3
            dataset: { plugin: synthetic, train-size: 96, test-size: 32 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: simclr, hidden-dim: 16, output-dim: 8 }
            views:
              - &v [ { plugin: random-resized-crop, scale: [0.5, 1.0] }, { plugin: random-flip } ]
              - *v
            trainer: { epochs: 2, batch-size: 16, log-every: 1, distributed: { processes: 2, sync-batch-norm: true, timeout: 60 } }
            evaluation:
              - { plugin: knn, k: 5 }
            sweep:
              name: ddp-sweep
              metric: eval/knn/top1
              grid:
                seed: [3]
              executor: { plugin: slurm, cpus-per-task: 1, tasks-per-node: 2, poll-seconds: 0.5 }
            """);
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", runs);
        var log = string.Join("\n", Directory.GetFiles(Path.Combine(runs, "_sweeps"), "*.log", SearchOption.AllDirectories).Select(File.ReadAllText));
        code.Should().Be(0, stdout + stderr + log);
        stdout.Should().Contain("1 finished");
        log.Should().Contain("rank 0 of 2 joined").And.Contain("slurm");

        var store = new MlflowFileStore(Path.Combine(Dir, "mlruns"));
        var trials = store.Runs().Where(r => !MlflowFileStore.ReadTags(r.Directory).ContainsKey("replab.sweep")).ToList();
        trials.Should().ContainSingle("two ranks make one run");
        var run = trials[0];
        run.Status.Should().Be(RunStatus.Finished);
        MlflowFileStore.ReadTags(run.Directory)[TagNames.Ranks].Should().Be("2");
        MlflowFileStore.ReadMetric(run.Directory, "eval/knn/top1").Should().ContainSingle().Which.Value.Should().BeInRange(0, 1);
        MlflowFileStore.ReadMetric(run.Directory, "loss/nt-xent").Should().HaveCount(12, "2 epochs of 6 global batches, each logged once by rank 0");
    }
}
