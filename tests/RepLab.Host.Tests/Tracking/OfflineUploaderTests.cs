using System.Text.Json.Nodes;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary>Offline-first shipping of local runs to a server (the <see cref="MlflowStandInServer"/>): nothing lost, nothing twice.</summary>
public class OfflineUploaderTests : IDisposable
{
    private readonly string root = Path.Combine(Directory.CreateTempSubdirectory("replab-upload-").FullName, "mlruns");
    private readonly MlflowStandInServer server = new();
    private readonly StringWriter log = new();

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);
    }

    /// <summary>An uploader as a run has it, with short delays, and a breaker that lets the server be tried again after 10 ms.</summary>
    private OfflineUploader Uploader(MlflowFileStore store, TimeSpan? interval = null) =>
        new(store, new MlflowRestClient(new MlflowServer(server.Uri, Username: "ann", Password: "hunter2"), MlflowRequestPolicy.Run with { FirstDelay = TimeSpan.FromMilliseconds(10) }),
            log, interval ?? TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), cooldown: TimeSpan.FromMilliseconds(10));

    /// <summary>Writes a finished run of <paramref name="steps"/> steps with two metrics and an artifact, without any server.</summary>
    private string LocalRun(MlflowFileStore store, int steps, string name = "trial")
    {
        var file = Path.Combine(Path.GetDirectoryName(root)!, name + ".txt");
        File.WriteAllText(file, "report " + name);
        using var t = new MlflowTracker(store);
        t.Emit(MlflowFileStoreTests.Started("exp", name));
        for (var s = 0; s < steps; s++)
        {
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "train/loss", 1.0 / (s + 1), s));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "lr", 0.1, s));
        }
        t.Emit(new ArtifactLogged(DateTimeOffset.UtcNow, file, "eval/report.txt"));
        t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
        return t.Run!.Directory;
    }

    private MlflowStandInServer.Run RemoteOf(string runDir) =>
        server.Runs.Values.Single(r => r.Tags.GetValueOrDefault(TagNames.LocalRunId) == Path.GetFileName(runDir));

    private static void ShouldHoldEachPointOnce(MlflowStandInServer.Run remote, string runDir)
    {
        foreach (var key in MlflowFileStore.MetricKeys(runDir))
        {
            var local = MlflowFileStore.ReadMetric(runDir, key);
            var onServer = remote.Metrics.Where(m => m.Key == key).ToList();
            onServer.Select(m => (m.Step, m.Timestamp, m.Value)).Should().BeEquivalentTo(local.Select(p => (p.Step, p.Timestamp, p.Value)),
                $"every point of {key} is on the server exactly once");
            onServer.GroupBy(m => m.Step).Should().OnlyContain(g => g.Count() == 1);
        }
    }

    [Fact]
    public async Task Sync_ships_a_whole_run_and_a_second_sync_sends_nothing()
    {
        var store = new MlflowFileStore(root);
        var runDir = LocalRun(store, 1700);
        using var uploader = Uploader(store);
        var first = await uploader.SyncAllAsync(null);
        first.Should().Be(new SyncResult(1, 0, 3400, RunsUploaded: 1));
        var remote = RemoteOf(runDir);
        ShouldHoldEachPointOnce(remote, runDir);
        remote.Status.Should().Be("FINISHED");
        remote.EndTime.Should().Be(MlflowFileStore.TryReadRunInfo(runDir)!.EndTime);
        remote.Params.Should().Contain("optimizer.lr", "0.001").And.Contain("dataset.api_key", ParamRedaction.Mask);
        remote.Tags.Should().Contain("mlflow.runName", "trial").And.ContainKey("replab.config_hash");
        server.Artifacts.Should().ContainKey($"{remote.ExperimentId}/{remote.RunId}/artifacts/eval/report.txt");

        var requests = server.Requests.Count;
        (await uploader.SyncAllAsync(null)).MetricPointsSent.Should().Be(0);
        server.Requests.Count.Should().Be(requests, "a run whose end is on the server is skipped without a request");
        server.Runs.Should().HaveCount(1);
    }

    [Fact]
    public async Task A_batch_that_landed_but_was_not_recorded_is_not_sent_again()
    {
        var store = new MlflowFileStore(root);
        var runDir = LocalRun(store, 300);
        using (var uploader = Uploader(store)) await uploader.SyncAllAsync(null);

        // Rewind the sidecar to "batch in flight, answer never recorded", as a kill between the
        // server's answer and the state write leaves it; and forget the end, so sync runs again.
        RewindToBatchInFlight(runDir);

        using (var uploader = Uploader(store)) (await uploader.SyncAllAsync(null)).MetricPointsSent.Should().Be(0);
        ShouldHoldEachPointOnce(RemoteOf(runDir), runDir);
    }

    [Fact]
    public async Task A_pending_batch_that_never_landed_is_sent()
    {
        var store = new MlflowFileStore(root);
        var runDir = LocalRun(store, 10);
        using (var uploader = Uploader(store)) await uploader.SyncAllAsync(null);

        // "Batch in flight" again, but this time the server lost it.
        RewindToBatchInFlight(runDir);
        RemoteOf(runDir).Metrics.Clear();

        using (var uploader = Uploader(store)) (await uploader.SyncAllAsync(null)).MetricPointsSent.Should().Be(20);
        ShouldHoldEachPointOnce(RemoteOf(runDir), runDir);
    }

    [Fact]
    public async Task A_run_created_remotely_but_not_recorded_locally_is_found_not_duplicated()
    {
        var store = new MlflowFileStore(root);
        var runDir = LocalRun(store, 5);
        using (var uploader = Uploader(store)) await uploader.SyncAllAsync(null);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(runDir, MlflowFileStore.SidecarFolder), "upload-*.json")) File.Delete(f);
        server.Runs.Values.Single().Metrics.Clear();
        using (var uploader = Uploader(store)) await uploader.SyncAllAsync(null);
        server.Runs.Should().HaveCount(1, "the remote run is found by its replab.local_run_id tag");
        ShouldHoldEachPointOnce(RemoteOf(runDir), runDir);
    }

    [Fact]
    public async Task Training_goes_on_through_refused_connections_and_503s_and_sync_completes_it()
    {
        server.RefuseConnections();
        var store = new MlflowFileStore(root);
        string runDir;
        using (var tracker = new MlflowTracker(store, Uploader(store)))
        {
            tracker.Emit(MlflowFileStoreTests.Started("exp", "faulty"));
            for (var s = 0; s < 600; s++)
            {
                if (s == 200) { server.AcceptConnections(); server.Unavailable = true; }
                if (s == 400) server.Unavailable = false;
                tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "train/loss", 1.0 / (s + 1), s));
                tracker.Emit(new MetricLogged(DateTimeOffset.UtcNow, "lr", 0.1, s));
                if (s % 20 == 0) await Task.Delay(10);
            }
            tracker.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            runDir = tracker.Run!.Directory;
        }
        MlflowFileStore.ReadMetric(runDir, "train/loss").Should().HaveCount(600, "the local store never waits for the server");
        server.Requests.Should().Contain(r => r.Status == 503);
        log.ToString().Should().Contain("could not upload").And.NotContain("hunter2");

        using (var uploader = Uploader(store)) (await uploader.SyncAllAsync(null)).RunsFailed.Should().Be(0);
        var remote = RemoteOf(runDir);
        remote.Metrics.Should().HaveCount(1200);
        ShouldHoldEachPointOnce(remote, runDir);
        remote.Status.Should().Be("FINISHED");
        server.Runs.Should().HaveCount(1);
    }

    [Fact]
    public async Task A_sweep_trial_points_to_its_parent_by_the_servers_run_id()
    {
        var store = new MlflowFileStore(root);
        var parent = LocalRun(store, 1, "sweep");
        string child;
        using (var t = new MlflowTracker(store))
        {
            var started = MlflowFileStoreTests.Started("exp", "trial-0");
            t.Emit(started with { Tags = new Dictionary<string, string> { [TagNames.ParentRunId] = Path.GetFileName(parent) } });
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            child = t.Run!.Directory;
        }
        using var uploader = Uploader(store);
        await uploader.SyncRunAsync(child);
        RemoteOf(child).Tags.Should().NotContainKey(TagNames.ParentRunId, "the parent is not on the server yet");
        await uploader.SyncAllAsync(null);
        RemoteOf(child).Tags[TagNames.ParentRunId].Should().Be(RemoteOf(parent).RunId);
    }

    [Fact]
    public void The_next_run_uploads_what_an_earlier_run_could_not()
    {
        server.RefuseConnections();
        var store = new MlflowFileStore(root);
        string first;
        using (var t = new MlflowTracker(store, Uploader(store)))
        {
            t.Emit(MlflowFileStoreTests.Started("exp", "offline"));
            t.Emit(new MetricLogged(DateTimeOffset.UtcNow, "loss", 1, 0));
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            first = t.Run!.Directory;
        }
        server.Runs.Should().BeEmpty();
        server.AcceptConnections();
        string second;
        using (var t = new MlflowTracker(store, Uploader(store)))
        {
            t.Emit(MlflowFileStoreTests.Started("exp", "online"));
            // Long enough for the background pass over earlier runs.
            for (var i = 0; i < 500 && !server.Runs.Values.Any(r => r.RunName == "offline" && r.Status == "FINISHED"); i++) Thread.Sleep(10);
            t.Emit(new RunEnded(DateTimeOffset.UtcNow, RunStatus.Finished, null));
            second = t.Run!.Directory;
        }
        RemoteOf(first).Status.Should().Be("FINISHED");
        ShouldHoldEachPointOnce(RemoteOf(first), first);
        RemoteOf(second).Status.Should().Be("FINISHED");
    }

    [Fact]
    public void Replab_sync_uploads_what_is_missing_and_says_so()
    {
        var store = new MlflowFileStore(root);
        var a = LocalRun(store, 3, "a");
        var b = LocalRun(store, 4, "b");
        var (code, stdout, _) = CliRunner.Run("sync", "--to", server.Uri.ToString(), "--store", root);
        code.Should().Be(0);
        stdout.Should().Contain("checked 2 runs: uploaded 2 (14 new metric points), 0 already complete");
        ShouldHoldEachPointOnce(RemoteOf(a), a);
        ShouldHoldEachPointOnce(RemoteOf(b), b);
        CliRunner.Run("sync", "--to", server.Uri.ToString(), "--store", root).stdout.Should().Contain("checked 2 runs: uploaded 0 (0 new metric points), 2 already complete");
        CliRunner.Run("sync", "--to", root, "--store", root).code.Should().Be(2, "a path is not a server");
        // replab runs shows each run's server id beside its local one.
        OfflineUploader.ServerRunIds(a).Should().Equal(RemoteOf(a).RunId);
        CliRunner.Run("runs", "--store", root).stdout.Should().Contain(RemoteOf(a).RunId[..8]).And.Contain(RemoteOf(b).RunId[..8]);
    }

    [Fact]
    public async Task Sync_stops_at_the_first_run_when_the_server_is_unreachable()
    {
        var store = new MlflowFileStore(root);
        foreach (var name in new[] { "a", "b", "c" }) LocalRun(store, 2, name);
        server.RefuseConnections();
        using (var uploader = Uploader(store))
            (await uploader.SyncAllAsync(null)).Should().Be(new SyncResult(0, 3, 0));
        server.Requests.Should().BeEmpty();
        log.ToString().Split('\n').Count(l => l.Contains("could not upload")).Should().Be(1, "one outage, one message");
        server.AcceptConnections();
        using (var uploader = Uploader(store))
            (await uploader.SyncAllAsync(null)).Should().Be(new SyncResult(3, 0, 12, RunsUploaded: 3));
    }

    /// <summary>Rewinds the upload sidecar to "batch in flight, answer never recorded" and forgets the run's end, as a kill at the wrong moment leaves it.</summary>
    private static void RewindToBatchInFlight(string runDir)
    {
        var statePath = Directory.EnumerateFiles(Path.Combine(runDir, MlflowFileStore.SidecarFolder), "upload-*.json").Single();
        var state = JsonNode.Parse(File.ReadAllText(statePath))!;
        state["pending"] = state["metrics"]!.DeepClone();
        state["metrics"] = new JsonObject();
        state["ended_status"] = null;
        File.WriteAllText(statePath, state.ToJsonString());
    }
}

/// <summary>Runs the CLI in-process, capturing its output.</summary>
internal static class CliRunner
{
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var (so, se) = (new StringWriter(), new StringWriter());
        Console.SetOut(so);
        Console.SetError(se);
        try { return (Program.Main(args), so.ToString(), se.ToString()); }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

}
