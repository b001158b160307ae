using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary>A run folder's records written by the writer and read back by the one reader runs and sweeps share.</summary>
public sealed class RunRecordsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("replab-records-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_000);

    private static RunStarted Started(bool resumed = false) => new(T0, "e", "r", "hash", "dir", resumed, [], new Dictionary<string, string>());

    [Fact]
    public void What_the_writer_records_the_reader_sums_up_and_a_later_start_clears_an_earlier_end()
    {
        var records = RunRecords.For(dir, "my run/../x", "0123456789abcdef");
        Path.GetFileName(Path.GetDirectoryName(records.Folder)).Should().Be("my_run_.._x", "a name never leaves the runs folder");
        Directory.CreateDirectory(records.Folder);
        records.Read().Should().Be(RunSummary.None);
        using (var writer = records.OpenWriter(append: false))
        {
            writer.Emit(Started());
            writer.Emit(new TagSet(T0, TagNames.TotalSteps, "40"));
            writer.Emit(new MetricLogged(T0.AddSeconds(1), "loss", 0.5, 3));
            writer.Emit(new MetricLogged(T0.AddSeconds(2), "loss", 0.4, 7));
            writer.Emit(new RunEnded(T0.AddSeconds(3), RunStatus.Killed, "stopped"));
        }
        var killed = records.Read();
        (killed.Any, killed.Ended, killed.Step, killed.TotalSteps, killed.EndReason, killed.FirstStepTime).Should().Be((true, RunStatus.Killed, 7L, 40L, "stopped", 2_000L));
        records.WriteEvaluation(new Dictionary<string, double> { ["eval/knn/top1"] = 0.75 });
        records.Read().Metrics.Should().BeEmpty("only a finished run reports its evaluation");
        using (var writer = records.OpenWriter(append: true))
        {
            writer.Emit(Started(resumed: true));
            records.Read().Ended.Should().BeNull("the resumed attempt is running");
            writer.Emit(new RunEnded(T0.AddSeconds(9), RunStatus.Finished, null));
        }
        var finished = records.Read();
        finished.Ended.Should().Be(RunStatus.Finished);
        finished.Metrics.Should().Equal(new Dictionary<string, double> { ["eval/knn/top1"] = 0.75 });
    }

    [Fact]
    public void A_line_cut_by_a_kill_and_a_damaged_evaluation_are_read_around()
    {
        var records = new RunRecords(dir);
        File.WriteAllText(records.MetricsFile, "{\"time\":1,\"kind\":\"start\"}\n{\"time\":2,\"kind\":\"metric\",\"key\":\"l\",\"value\":1,\"step\":4}\n{\"time\":3,\"kind\":\"end\",\"sta");
        var cut = records.Read();
        (cut.Any, cut.Ended, cut.Step).Should().Be((true, null, 4L), "no end record: running, or killed");
        File.WriteAllText(records.EvaluationFile, "{ not json");
        records.ReadEvaluation().Should().BeEmpty();
    }
}
