using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Sweeps;
using RepLab.Host.Tests.Sweeps;
using RepLab.Tracking;
using RepLab.Plugins.Executors.Slurm;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Executors.Slurm;

/// <summary>
/// Sweeps through a real single-node Slurm (tests/slurm/start-slurm.sh): one job array, a failing
/// trial and one cancelled while pending, told apart in the report and the store; and the
/// executor's parsers on the literal formats Slurm 22.05 writes.
/// </summary>
[Collection("sweeps")]
public class SlurmSweepTests() : CliHarness("replab-slurm-")
{
    [Fact]
    public void Six_trials_run_as_one_job_array_and_the_report_and_store_tell_finished_failed_and_cancelled_apart()
    {
        SlurmCluster.EnsureUp();
        var exp = SweepRunTests.Experiment(Dir, """
              grid:
                encoder.features: [4, 6, 8]
                trainer.batch-size: [16, 500]
              executor: { plugin: slurm, cpus-per-task: 1, poll-seconds: 0.5 }
            """);
        var runs = Path.Combine(Dir, "runs");
        var folder = Path.Combine(runs, "_sweeps", "tiny-sweep");
        var plan = SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), runs);
        var last = plan.Trials[^1];
        last.Point.Describe().Should().Be("encoder.features=8 trainer.batch-size=500");
        // One task at a time, so the last one is still pending when the test cancels it in Slurm.
        var canceller = Task.Run(() =>
        {
            var record = Path.Combine(folder, "slurm", "submissions.json");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !File.Exists(record)) Thread.Sleep(50);
            var job = JsonDocument.Parse(File.ReadAllText(record)).RootElement[0].GetProperty("JobId").GetString();
            SlurmCluster.Run("scancel", $"{job}_{last.Index}");
            return job;
        });
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", runs, "--parallel", "1");
        canceller.Wait(TimeSpan.FromSeconds(60)).Should().BeTrue();
        code.Should().Be(1, stdout + stderr);
        stdout.Should().Contain($"submitted Slurm job array {canceller.Result} (6 tasks)");
        stdout.Should().Contain("3 finished, 2 failed, 1 cancelled");
        var report = File.ReadAllText(Path.Combine(folder, "report.md"));
        report.Should().Contain("6 trials of `exp.yaml`: 3 finished, 2 failed, 1 cancelled");
        report.Should().Contain($"| {last.Index} | {last.Point.Describe()} | cancelled | cancelled while pending");
        report.Should().Contain("| failed | trainer.batch-size 500 is larger than the 96 training images |");

        var store = new MlflowFileStore(Path.Combine(Dir, "mlruns"));
        var all = store.Runs().ToList();
        var parent = all.Single(r => MlflowFileStore.ReadTags(r.Directory).ContainsKey("replab.sweep"));
        MlflowFileStore.ReadMetric(parent.Directory, "trials/cancelled").Single().Value.Should().Be(1);
        MlflowFileStore.ReadMetric(parent.Directory, "trials/failed").Single().Value.Should().Be(2);
        MlflowFileStore.ReadMetric(parent.Directory, "trials/finished").Single().Value.Should().Be(3);
        var children = all.Where(r => r != parent).ToList();
        children.Should().HaveCount(5, "the cancelled pending task never started a run");
        children.Count(r => r.Status == RunStatus.Failed).Should().Be(2);
        children.Should().OnlyContain(r => MlflowFileStore.ReadTags(r.Directory)[TagNames.ParentRunId] == parent.RunId);

        // Run again: only the cancelled trial is submitted (a new array of one task), and it finishes... as a failure of its batch size.
        var again = Cli("sweep", exp, "--runs-dir", runs);
        again.stdout.Should().Contain("6 trials (3 finished, 2 failed and left, 1 to run)").And.Contain("(1 tasks)");
        again.stdout.Should().Contain("3 finished, 3 failed");
    }

    [Fact]
    public void A_sweep_killed_while_its_array_runs_watches_the_same_tasks_when_started_again_instead_of_submitting_them_twice()
    {
        SlurmCluster.EnsureUp();
        var exp = SweepRunTests.Experiment(Dir, """
              grid:
                encoder.features: [4, 6]
              executor: { plugin: slurm, poll-seconds: 0.5 }
            """, epochs: 4);
        var runs = Path.Combine(Dir, "runs");
        var plan = SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), runs);
        var start = new ProcessStartInfo("dotnet", [SweepRunTests.Cli_, "sweep", exp, "--runs-dir", runs, "--parallel", "1"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var sweep = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var metrics = Path.Combine(plan.Trials[0].RunFolder, "metrics.jsonl");
            while (DateTime.UtcNow < deadline && !(File.Exists(metrics) && File.ReadAllText(metrics).Contains("\"kind\":\"metric\""))) Thread.Sleep(50);
            sweep.Kill();  // SIGKILL: the sweep dies, its Slurm tasks go on
            sweep.WaitForExit();
        }
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", runs);
        code.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("watching 2 Slurm tasks submitted before").And.NotContain("submitted Slurm job array");
        stdout.Should().Contain("2 finished");
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "runs", "_sweeps", "tiny-sweep", "slurm", "submissions.json"))).RootElement.GetArrayLength()
            .Should().Be(1, "nothing was submitted twice");
        File.ReadAllText(Path.Combine(plan.Trials[0].RunFolder, "metrics.jsonl")).Split('\n').Count(l => l.Contains("\"kind\":\"start\"")).Should().Be(1, "the first trial ran once");
    }

    [Fact]
    public void A_sweep_larger_than_the_array_limit_goes_as_several_arrays_whose_tasks_each_run_their_trial()
    {
        SlurmCluster.EnsureUp();
        var exp = SweepRunTests.Experiment(Dir, """
              grid:
                encoder.features: [4, 5, 6, 7, 8]
              executor: { plugin: slurm, poll-seconds: 0.5, max-array-size: 2 }
            """, epochs: 1);
        var runs = Path.Combine(Dir, "runs");
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", runs);
        code.Should().Be(0, stdout + stderr);
        stdout.Should().MatchRegex(@"submitted Slurm job arrays \d+, \d+, \d+ \(5 tasks\)").And.Contain("5 finished");
        var submissions = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs, "_sweeps", "tiny-sweep", "slurm", "submissions.json"))).RootElement;
        submissions.EnumerateArray().Select(a => string.Join(",", a.GetProperty("Tasks").EnumerateObject().Select(t => t.Name))).Should().Equal("0,1", "0,1", "0");
        // Each trial ran its own config: its run folder is its hash's, and it finished there.
        foreach (var t in SweepPlan.Build(exp, [], new RepLab.Host.Experiment.SweepHost(Repo.BuiltIns), runs).Trials)
            TrialStatus.Read(t.RunFolder).Outcome.Should().Be(TrialOutcome.Finished, t.Point.Describe());
    }

    [Fact]
    public void A_job_array_sbatch_refuses_is_a_clear_error_and_the_parent_run_says_the_sweep_failed()
    {
        SlurmCluster.EnsureUp();
        var exp = SweepRunTests.Experiment(Dir, """
              grid:
                encoder.features: [4, 6]
              executor: { plugin: slurm, partition: no-such-partition }
            """);
        var (code, stdout, stderr) = Cli("sweep", exp, "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(2, stdout + stderr);
        stderr.Should().Contain("sbatch refused the sweep's job array").And.Contain("sweep.executor");
        var parent = new MlflowFileStore(Path.Combine(Dir, "mlruns")).Runs().Should().ContainSingle().Subject;
        parent.Status.Should().Be(RunStatus.Failed);
        MlflowFileStore.ReadTags(parent.Directory)["replab.end_reason"].Should().Contain("executor slurm");
    }

    [Fact]
    public void Squeue_json_of_slurm_22_05_maps_tasks_ranges_and_exit_codes()
    {
        const string json = """
            {"type": "openapi/v0.0.38", "errors": [], "jobs": [
              {"job_id": 2, "array_job_id": 1, "array_task_id": 0, "array_task_string": "", "job_state": "RUNNING", "exit_code": 0, "name": "t"},
              {"job_id": 3, "array_job_id": 1, "array_task_id": 1, "array_task_string": "", "job_state": "FAILED", "state_reason": "NonZeroExitCode", "exit_code": 768, "name": "t"},
              {"job_id": 1, "array_job_id": 1, "array_task_id": null, "array_task_string": "2-3%2", "job_state": "PENDING", "state_reason": "JobArrayTaskLimit", "exit_code": 0},
              {"job_id": 9, "array_job_id": 8, "array_task_id": 0, "job_state": "RUNNING", "exit_code": 0}
            ]}
            """;
        var tasks = SlurmExecutor.Parse(json, ["1"]);
        tasks.Keys.Should().BeEquivalentTo([("1", 0), ("1", 1), ("1", 2), ("1", 3)], "another job's tasks are not ours");
        tasks[("1", 0)].State.Should().Be(TrialState.Running);
        tasks[("1", 1)].State.Should().Be(TrialState.Failed);
        tasks[("1", 1)].ExitCode.Should().Be(3, "768 is the wait status of exit 3");
        tasks[("1", 3)].State.Should().Be(TrialState.Pending);
        SlurmExecutor.Indices("1,4,7-9%2").Should().Equal(1, 4, 7, 8, 9);
        SlurmExecutor.Indices("1,4,7-...").Should().Equal([1, 4], "a range squeue cut short names no task");
        SlurmExecutor.Parse("""{"jobs": [{"array_job_id": 1, "array_task_id": 4294967294, "array_task_string": "5-6", "job_state": "PENDING"}]}""", ["1"])
            .Keys.Should().BeEquivalentTo([("1", 5), ("1", 6)], "NO_VAL is no task id");
        var down = """{"errors": [{"description": "Failed while looking for jobs", "error_number": -1}], "jobs": []}""";
        FluentActions.Invoking(() => SlurmExecutor.Parse(down, ["1"])).Should().Throw<InvalidOperationException>().WithMessage("*slurmctld*");
    }

    [Fact]
    public void Job_completion_lines_give_each_ended_task_and_the_cancelled_rest_of_an_array()
    {
        string[] lines =
        [
            "JobId=3 UserId=root(0) GroupId=root(0) Name=t JobState=FAILED Partition=debug TimeLimit=UNLIMITED NodeList=vm ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=3:0 ",
            "JobId=2 UserId=root(0) Name=t JobState=COMPLETED Partition=debug ArrayJobId=1 ArrayTaskId=0 DerivedExitCode=0:0 ExitCode=0:0 ",
            "JobId=4 Name=t JobState=TIMEOUT ArrayJobId=1 ArrayTaskId=2 ExitCode=0:15 ",
            "JobId=15 Name=w JobState=CANCELLED Partition=debug NodeList=(null) NodeCnt=0 DerivedExitCode=0:0 ExitCode=0:0 ",
            "JobId=17 Name=s JobState=COMPLETED ExitCode=0:0 ",
            "JobId=5 Name=a=b JobState=PREEMPTED ArrayJobId=1 ArrayTaskId=3 ExitCode=0:0 Name=again ",
        ];
        var ended = SlurmExecutor.ParseCompletions(lines, ["1", "15"]);
        ended[("1", 0)].State.Should().Be(TrialState.Succeeded);
        ended[("1", 1)].Should().Be(new SlurmExecutor.TaskState(TrialState.Failed, 3, "Slurm FAILED, exit code 3"));
        ended[("1", 2)].State.Should().Be(TrialState.TimedOut, "Slurm's TIMEOUT is the sweep's timed out, not a failure of the trial's own");
        ended[("1", 2)].Message.Should().Contain("time limit");
        ended[("15", -1)].State.Should().Be(TrialState.Cancelled, "the pending rest of a cancelled array is one line of the array's id");
        ended[("1", 3)].State.Should().Be(TrialState.Failed, "a completion record is final, even of a preempted task");
        ended.Should().HaveCount(5);
    }

    [Fact]
    public void The_sweeps_trial_timeout_becomes_slurms_time_limit_unless_the_executor_sets_one()
    {
        SlurmExecutor.TimeOption("", TimeSpan.FromMinutes(30)).Should().Be("--time=31", "a minute past the limit the trial stops itself at");
        SlurmExecutor.TimeOption("", TimeSpan.FromSeconds(90)).Should().Be("--time=3", "whole minutes, rounded up");
        SlurmExecutor.TimeOption("02:00:00", TimeSpan.FromMinutes(30)).Should().Be("--time=02:00:00");
        SlurmExecutor.TimeOption("", null).Should().BeNull("the partition's limit");
    }
}
