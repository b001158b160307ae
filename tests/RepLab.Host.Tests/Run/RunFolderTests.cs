using FluentAssertions;
using RepLab.Tracking;
using RepLab.Host.Experiment;
using RepLab.Config;
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
        using (var held = RunFolder.Prepare(RunRecords.For(runs, spec.Name, spec.Config.ShortHash()), spec.Config.ToYaml(), resume: false))
        {
            File.WriteAllText(Path.Combine(held.Records.Folder, "checkpoints", "marker"), "the first run's");
            var (code, _, stderr) = Cli("run", exp, "--runs-dir", runs);
            code.Should().Be(FolderLock.HeldExitCode, "busy, not wrong: a sweep waits for such a trial");
            FolderLock.IsHeld(held.Records.LockFile).Should().BeTrue();
            stderr.Should().Contain("is in use by another replab run").And.Contain($"pid {Environment.ProcessId} on {Environment.MachineName}");
            File.Exists(Path.Combine(held.Records.Folder, "checkpoints", "marker")).Should().BeTrue("the refused run touched nothing of the first's");
            FluentActions.Invoking(() => RunFolder.Prepare(RunRecords.For(runs, spec.Name, spec.Config.ShortHash()), spec.Config.ToYaml(), resume: true)).Should().Throw<RunFolderLockedException>();
        }
        Cli("run", exp, "--runs-dir", runs).code.Should().Be(0, "the lock goes with its holder");
    }

    [Fact]
    public void Temporary_files_of_a_killed_write_are_removed_on_the_next_start_and_finished_files_kept()
    {
        var exp = Experiment();
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "1").code.Should().Be(0);
        var folder = Directory.GetDirectories(Path.Combine(runs, "tiny")).Single();
        // What a SIGKILL in the middle of the atomic writes leaves: the temporaries beside the finished files.
        var leftovers = new[]
        {
            Path.Combine(folder, "checkpoints", ".last.safetensors.4242.0123456789abcdef0123456789abcdef.tmp"),
            Path.Combine(folder, "artifacts", ".encoder.safetensors.4242.fedcba9876543210fedcba9876543210.tmp"),
            Path.Combine(folder, ".metrics.jsonl.4242.00112233445566778899aabbccddeeff.tmp"),
        };
        foreach (var f in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, "half a write");
        }
        var mine = Path.Combine(folder, "artifacts", "notes.tmp");
        File.WriteAllText(mine, "a user's own file");
        var (code, stdout, stderr) = Cli("run", exp, "--runs-dir", runs, "--resume");
        code.Should().Be(0, stderr);
        stdout.Should().Contain("removed 3 temporary files left by an interrupted write");
        stdout.Should().Contain("resumed from", "the finished checkpoint beside its temporary was kept and used");
        leftovers.Should().OnlyContain(f => !File.Exists(f));
        File.Exists(mine).Should().BeTrue("only the names our atomic writes use are removed");
    }

    [Fact]
    public void Artifacts_are_written_whole_or_not_at_all()
    {
        var target = Path.Combine(Dir, "artifacts", "samples", "grid.png");
        AtomicFile.Write(target, [1, 2, 3]);
        AtomicFile.Write(target, [4, 5]);
        File.ReadAllBytes(target).Should().Equal([4, 5]);
        // A write that cannot land (the target is a folder) leaves what was there and no temporary.
        var blocked = Path.Combine(Dir, "artifacts", "blocked");
        Directory.CreateDirectory(Path.Combine(blocked, "inside"));
        FluentActions.Invoking(() => AtomicFile.Write(blocked, [9])).Should().Throw<IOException>();
        Directory.Exists(Path.Combine(blocked, "inside")).Should().BeTrue();
        Directory.GetFiles(Path.Combine(Dir, "artifacts"), "*.tmp", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Theory]
    [InlineData("../../escaped", "_.._escaped")]
    [InlineData("/etc/passwd", "_etc_passwd")]
    [InlineData("..", "experiment")]
    [InlineData("simclr_b256 (try 2)", "simclr_b256__try_2_")]
    public void Names_become_one_safe_folder_inside_the_runs_folder(string name, string folder)
    {
        RunRecords.SafeName(name).Should().Be(folder);
        var runs = Path.Combine(Dir, "runs");
        Cli("run", Experiment(name), "--runs-dir", runs).code.Should().Be(0);
        Directory.GetDirectories(runs).Select(Path.GetFileName).Should().Equal(folder);
        Directory.GetDirectories(Dir).Select(Path.GetFileName).Should().BeEquivalentTo(["runs", "mlruns"], "nothing is written beside the runs folder");
    }
}
