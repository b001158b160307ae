using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RepLab.Tracking;

/// <summary>How far one local run has been shipped to one server; kept in the run's sidecar folder.</summary>
internal sealed class UploadState
{
    public string? RemoteRunId { get; set; }
    public string? ArtifactUri { get; set; }
    /// <summary>Per metric key: complete lines (local sequence numbers) and bytes already on the server.</summary>
    public Dictionary<string, MetricCursor> Metrics { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Params { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The run's dataset inputs (MLflow input ids) on the server.</summary>
    public HashSet<string> Inputs { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Artifact path to the size uploaded.</summary>
    public Dictionary<string, long> Artifacts { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Points per key of the batch in flight, written before it is sent; see <see cref="OfflineUploader"/>.</summary>
    public Dictionary<string, MetricCursor>? Pending { get; set; }
    /// <summary>The terminal status last set on the server.</summary>
    public string? EndedStatus { get; set; }
}

internal sealed class MetricCursor
{
    public long Lines { get; set; }
    public long Bytes { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(UploadState))]
internal sealed partial class UploadStateJsonContext : JsonSerializerContext;

/// <summary>What one sync did.</summary>
/// <param name="RunsSynced">Runs whose upload went through (or had nothing to send).</param>
/// <param name="RunsFailed">Runs the server could not take now; they stay local and the next sync retries.</param>
/// <param name="MetricPointsSent">Metric points sent by this sync.</param>
/// <param name="RunsWaiting">Runs with something that needs another run on the server first (a sweep trial's parent).</param>
/// <param name="RunsUploaded">Of the runs synced, those the server lacked something of (a new run, points, tags, status, artifacts).</param>
/// <param name="RunsLeft">Runs not (fully) synced because the caller stopped the sync (its deadline); the next sync goes on with them.</param>
public sealed record SyncResult(int RunsSynced, int RunsFailed, int MetricPointsSent, int RunsWaiting = 0, int RunsUploaded = 0, int RunsLeft = 0);

/// <summary>Where a sync stands: runs done of all it checks, and metric points sent so far.</summary>
public sealed record SyncProgress(int RunsDone, int RunsTotal, int MetricPointsSent);

/// <summary>
/// Ships runs from the local file store to an MLflow server. The local store is the truth; the
/// server is a replica fed in batches, in the background during a run and by <c>replab sync</c>.
/// Replay is idempotent: per run and server the sidecar records the remote run id and, per
/// metric, how many lines (local sequence numbers) are on the server. Before a metric batch is
/// sent it is recorded as pending; if the process dies before the answer is recorded, the next
/// sync asks the server (metric history) whether that batch landed, so no point is sent twice.
/// Params and tags are idempotent on the server (same value again), artifacts are re-put whole.
/// A server that refuses, does not answer or keeps failing trips the <see cref="ServerBreaker"/>
/// shared through the store: while it is open a run's uploader does not try the server at all.
/// </summary>
public sealed class OfflineUploader : IDisposable
{
    private readonly MlflowFileStore store;
    private readonly MlflowRestClient client;
    private readonly TextWriter log;
    private readonly TimeSpan interval;
    private readonly TimeSpan finalFlushLimit;
    private readonly string stateName;
    private readonly SemaphoreSlim wake = new(0);
    private readonly CancellationTokenSource stop = new();
    private Task? loop;
    private volatile string? current;
    private bool failing;
    private bool lastFailureUnreachable;
    private bool toldLeftAlone;

    /// <param name="store">The local store (the truth).</param>
    /// <param name="client">The server (a replica).</param>
    /// <param name="log">Where outages and recoveries are reported, one line each; never credentials.</param>
    /// <param name="interval">How often the background loop ships the current run.</param>
    /// <param name="finalFlushLimit">How long <see cref="Dispose"/> may spend shipping the end of the run.</param>
    /// <param name="cooldown">How long a server found down is left alone (<see cref="ServerBreaker.DefaultCooldown"/>).</param>
    public OfflineUploader(MlflowFileStore store, MlflowRestClient client, TextWriter? log = null, TimeSpan? interval = null, TimeSpan? finalFlushLimit = null,
        TimeSpan? cooldown = null)
    {
        this.store = store;
        this.client = client;
        this.log = log ?? Console.Error;
        this.interval = interval ?? TimeSpan.FromSeconds(5);
        this.finalFlushLimit = finalFlushLimit ?? TimeSpan.FromSeconds(30);
        // One sidecar per server, named by its URI without credentials.
        var serverKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client.Server.Display)))[..16];
        stateName = "upload-" + serverKey;
        Breaker = new ServerBreaker(store.Root, serverKey, cooldown);
    }

    public MlflowRestClient Client => client;

    /// <summary>Whether the server was found down lately (by this or another process of the store); a run's uploader then leaves it alone.</summary>
    private ServerBreaker Breaker { get; }

    /// <summary>The server run ids a local run was uploaded as (one per server), from its sidecar's upload states.</summary>
    public static IReadOnlyList<string> ServerRunIds(string runDir)
    {
        var sidecar = Path.Combine(runDir, MlflowFileStore.SidecarFolder);
        if (!Directory.Exists(sidecar)) return [];
        var ids = new List<string>();
        foreach (var file in Directory.EnumerateFiles(sidecar, "upload-*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllText(file), UploadStateJsonContext.Default.UploadState)?.RemoteRunId is { } id) ids.Add(id);
            }
            catch (JsonException) { /* a damaged state: the next sync finds the run by its local id tag */ }
        }
        return ids;
    }

    /// <summary>
    /// Starts the background loop: first what earlier runs left unsent, then the current run every
    /// interval; nothing while the <see cref="Breaker"/> is open.
    /// </summary>
    public void Start()
    {
        loop ??= Task.Run(async () =>
        {
            var backlogDone = false;
            while (!stop.IsCancellationRequested)
            {
                if (!LeftAlone())
                {
                    // Earlier runs again only when an unreachable server cut the pass short.
                    if (!backlogDone) backlogDone = await Guarded(() => SyncAllAsync(null, stop.Token)) is not { RunsFailed: > 0 } || !lastFailureUnreachable;
                    else if (current is { } dir) await Guarded(() => SyncRunAsync(dir, stop.Token));
                }
                try { await wake.WaitAsync(interval, stop.Token); }
                catch (OperationCanceledException) { break; }
            }
        });
    }

    /// <summary>True while the server is known to be down; says so once, unless this uploader found it down itself (and said that).</summary>
    private bool LeftAlone()
    {
        if (Breaker.Open() is not { } down) return false;
        if (!toldLeftAlone)
        {
            toldLeftAlone = true;
            var age = DateTimeOffset.UtcNow - down.Since;
            log.WriteLine($"replab: tracking server {client.Server.Display} was found down {Math.Max(0, age.TotalSeconds):0} s ago ({down.Reason}); " +
                          "this run does not try it: the local store keeps it and `replab sync` or a later run uploads it");
        }
        return true;
    }

    /// <summary>The run the background loop keeps shipping.</summary>
    public void Watch(string runDir) => current = runDir;

    /// <summary>Ship soon (the run ended, or a batch is worth sending).</summary>
    public void Nudge() => wake.Release();

    /// <summary>One pass of the background loop; its result, or null when it was stopped or failed for a reason that is not the server's.</summary>
    private async Task<SyncResult?> Guarded(Func<Task<SyncResult>> sync)
    {
        try
        {
            var r = await sync();
            if (r.RunsFailed == 0 && r.RunsLeft == 0 && failing)
            {
                failing = false;
                log.WriteLine($"replab: tracking server {client.Server.Display} is reachable again; uploading");
            }
            return r;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { return null; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not a server problem (those are handled per run): a bug or a damaged sidecar. Training
            // must go on; the loop tries again next interval.
            log.WriteLine($"replab: uploading to {client.Server.Display} failed: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Ships every run of the store (or of one experiment) that is not fully on the server, telling
    /// <paramref name="progress"/> after each run and metric batch. When <paramref name="ct"/> fires
    /// (a deadline) it stops and says how many runs it left; what the server took is recorded, so
    /// the next sync sends nothing twice. It stops too at the first run the server could not be
    /// reached for: the next would cost the same wait.
    /// </summary>
    public async Task<SyncResult> SyncAllAsync(string? experiment, CancellationToken ct = default, Action<SyncProgress>? progress = null)
    {
        var runs = store.Runs(experiment).OrderBy(r => r.StartTime).Select(r => r.Directory).ToList();
        var tally = new SyncTally(runs.Count, progress);
        progress?.Invoke(new SyncProgress(0, runs.Count, 0));
        try
        {
            var waiting = new List<string>();
            foreach (var dir in runs)
            {
                var r = await SyncRunAsync(dir, tally.Sent, ct);
                tally.Done(dir, r);
                if (r.RunsWaiting > 0) waiting.Add(dir);
                // An unreachable server will not take the next run either.
                if (r.RunsFailed > 0 && lastFailureUnreachable) return tally.Result(unreachable: true);
            }
            // Parents start first, but not always (equal clocks, resumed sweeps): one more pass for the runs that waited.
            tally.Waiting(waiting.Count);
            foreach (var dir in waiting) tally.Again(dir, await SyncRunAsync(dir, tally.Sent, ct));
            return tally.Result();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return tally.Result(stopped: true);
        }
    }

    /// <summary>What <see cref="SyncAllAsync"/> did so far.</summary>
    private sealed class SyncTally(int total, Action<SyncProgress>? progress)
    {
        private readonly HashSet<string> uploaded = [];
        private int done, ok, failed, points, stillWaiting, toRetry;

        public void Sent(int batch)
        {
            points += batch;
            progress?.Invoke(new SyncProgress(done, total, points));
        }

        public void Done(string dir, SyncResult r)
        {
            (done, ok, failed) = (done + 1, ok + r.RunsSynced, failed + r.RunsFailed);
            if (r.RunsUploaded > 0) uploaded.Add(dir);
            progress?.Invoke(new SyncProgress(done, total, points));
        }

        /// <summary>The second pass begins, for <paramref name="runs"/> runs that waited for another.</summary>
        public void Waiting(int runs) => toRetry = runs;

        public void Again(string dir, SyncResult r)
        {
            (failed, stillWaiting, toRetry) = (failed + r.RunsFailed, stillWaiting + r.RunsWaiting, toRetry - 1);
            if (r.RunsUploaded > 0) uploaded.Add(dir);
        }

        /// <summary>
        /// The result; runs never reached count as failed when the server was unreachable, as left
        /// (with those of the second pass not retried yet) when the sync was stopped.
        /// </summary>
        public SyncResult Result(bool unreachable = false, bool stopped = false) => stopped
            ? new(ok - toRetry, failed, points, stillWaiting, uploaded.Count, total - done + toRetry)
            : new(ok, failed + (unreachable ? total - done : 0), points, stillWaiting, uploaded.Count);
    }

    /// <summary>
    /// Ships what the server lacks of one run. Never throws for server trouble: a failure is
    /// reported once and counted in the result; the next sync goes on from the recorded state.
    /// </summary>
    public Task<SyncResult> SyncRunAsync(string runDir, CancellationToken ct = default) => SyncRunAsync(runDir, null, ct);

    /// <summary><see cref="SyncRunAsync(string, CancellationToken)"/>, telling <paramref name="batchSent"/> the points of each metric batch the server took.</summary>
    private async Task<SyncResult> SyncRunAsync(string runDir, Action<int>? batchSent, CancellationToken ct)
    {
        var sidecar = Path.Combine(runDir, MlflowFileStore.SidecarFolder);
        Directory.CreateDirectory(sidecar);
        FileStream lockFile;
        try
        {
            // One uploader per run and server, across processes (a run's own uploader and `replab sync`).
            lockFile = new FileStream(Path.Combine(sidecar, stateName + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return new SyncResult(0, 0, 0);
        }
        using (lockFile)
        {
            var statePath = Path.Combine(sidecar, stateName + ".json");
            var state = File.Exists(statePath)
                ? JsonSerializer.Deserialize(File.ReadAllText(statePath), UploadStateJsonContext.Default.UploadState)!
                : new UploadState();
            var changed = false;
            void Save()
            {
                AtomicFile.Write(statePath, JsonSerializer.Serialize(state, UploadStateJsonContext.Default.UploadState));
                changed = true;
            }
            var sent = 0;
            void Sent(int batch)
            {
                sent += batch;
                batchSent?.Invoke(batch);
            }
            try
            {
                var waiting = await Ship(runDir, state, Save, Sent, ct);
                // The server took something: it is up (a run with nothing to send asked it nothing).
                if (changed && Breaker.Open() is not null) Breaker.Reset();
                return new SyncResult(1, 0, sent, waiting ? 1 : 0, changed || sent > 0 ? 1 : 0);
            }
            catch (Exception e) when (e is HttpRequestException or MlflowException or Polly.Timeout.TimeoutRejectedException or IOException
                                          || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                Failed(runDir, e);
                return new SyncResult(0, 1, sent);
            }
        }
    }

    /// <summary>Reports a run the server did not take (once per outage, each error the server answered) and trips the breaker when the server is unreachable.</summary>
    private void Failed(string runDir, Exception e)
    {
        // Refused, no answer, or still 429/5xx after the retries: the server, not this run.
        lastFailureUnreachable = e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or OperationCanceledException
            or MlflowException { Status: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests };
        if (!failing || e is MlflowException || !lastFailureUnreachable)
            log.WriteLine($"replab: could not upload run {Path.GetFileName(runDir)} to {client.Server.Display} ({Describe(e)}); " +
                          "it is kept in the local store and `replab sync` or a later run uploads it" +
                          (lastFailureUnreachable ? $"; runs leave the server alone for {Breaker.Cooldown.TotalMinutes:0.#} min" : ""));
        failing = true;
        if (!lastFailureUnreachable) return;
        Breaker.Trip(Describe(e));
        toldLeftAlone = true;
    }

    private string Describe(Exception e) => e switch
    {
        MlflowException m => m.Message,
        HttpRequestException h => h.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused or unreachable" : h.Message,
        Polly.Timeout.TimeoutRejectedException t => $"no answer within {t.Timeout.TotalSeconds:0.#} s",
        OperationCanceledException => $"no answer within {client.Policy.AttemptTimeout.TotalSeconds:0.#} s",
        _ => e.GetType().Name,
    };

    private static string StatusName(RunStatus s) => s switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        _ => "KILLED",
    };

    /// <summary>
    /// Sends what the server lacks of one run, in order: the run itself, a batch whose answer was
    /// lost, params and tags, dataset inputs, metrics, artifacts, and last its status. Every step is recorded in
    /// <paramref name="state"/> (<paramref name="save"/>) as soon as the server has it.
    /// </summary>
    private async Task<bool> Ship(string runDir, UploadState state, Action save, Action<int> batchSent, CancellationToken ct)
    {
        var info = MlflowFileStore.TryReadRunInfo(runDir) ?? throw new IOException($"run {runDir} has no readable meta.yaml");
        // A run that ended and whose end is on the server has nothing left to send, but artifacts added since (replab export).
        if (info.Status != RunStatus.Running && state.EndedStatus == StatusName(info.Status) && !PendingArtifacts(runDir, state).Any()) return false;
        var runId = await EnsureRemoteRun(info, state, save, ct);
        await SettlePending(runId, state, save, ct);
        var waiting = await ShipParamsAndTags(runDir, runId, state, save, ct);
        await ShipInputs(runDir, runId, state, save, ct);
        await ShipMetrics(runDir, runId, state, save, batchSent, ct);
        await ShipArtifacts(runDir, state, save, ct);
        var status = StatusName(info.Status);
        // While something waits, the end stays off the server, so the next sync does not skip this run.
        if (!waiting && (info.Status != RunStatus.Running || state.EndedStatus is not null))
        {
            // Terminal states go up once everything else is there; a resumed run goes back to RUNNING.
            await client.UpdateRunAsync(runId, status, info.EndTime, ct);
            state.EndedStatus = info.Status == RunStatus.Running ? null : status;
            save();
        }
        return waiting;
    }

    /// <summary>The run's id on the server: recorded, found by its local id tag, or created.</summary>
    private async Task<string> EnsureRemoteRun(LocalRunInfo info, UploadState state, Action save, CancellationToken ct)
    {
        if (state.RemoteRunId is { } known) return known;
        var experimentName = store.Experiments().FirstOrDefault(e => e.ExperimentId == info.ExperimentId)?.Name ?? "Default";
        var experimentId = await client.EnsureExperimentAsync(experimentName, ct);
        var existing = await client.SearchRunsAsync([experimentId], $"tags.`{TagNames.LocalRunId}` = '{info.RunId}'", ct);
        var remote = existing.Count > 0
            ? existing[0].Info
            : await client.CreateRunAsync(experimentId, info.UserId, info.RunName, info.StartTime, [new MlflowKeyValue(TagNames.LocalRunId, info.RunId)], ct);
        state.RemoteRunId = remote.RunId;
        state.ArtifactUri = remote.ArtifactUri;
        save();
        return remote.RunId;
    }

    /// <summary>
    /// The last batch was sent but its answer never recorded. Log-batch is all or nothing, so one
    /// key's count on the server tells whether it landed.
    /// </summary>
    private async Task SettlePending(string runId, UploadState state, Action save, CancellationToken ct)
    {
        if (state.Pending is not { } pending) return;
        var (key, cursor) = pending.First();
        var onServer = (await client.GetMetricHistoryAsync(runId, key, ct)).Count;
        var before = state.Metrics.GetValueOrDefault(key)?.Lines ?? 0;
        if (onServer >= before + cursor.Lines)
            foreach (var (k, c) in pending) Advance(state, k, c);
        state.Pending = null;
        save();
    }

    /// <summary>New or changed params and tags; true when a tag waits for its parent run to reach the server.</summary>
    private async Task<bool> ShipParamsAndTags(string runDir, string runId, UploadState state, Action save, CancellationToken ct)
    {
        var localParams = MlflowFileStore.ReadParams(runDir);
        var localTags = MlflowFileStore.ReadTags(runDir);
        var newParams = localParams.Where(p => state.Params.GetValueOrDefault(p.Key) != p.Value).Select(p => new MlflowKeyValue(p.Key, p.Value)).ToList();
        var newTags = new List<MlflowKeyValue>();
        var waiting = false;
        foreach (var (key, value) in localTags)
        {
            if (state.Tags.GetValueOrDefault(key) == value) continue;
            if (key != TagNames.ParentRunId) { newTags.Add(new MlflowKeyValue(key, value)); continue; }
            // A sweep trial names its parent by local run id; the server knows the parent by its
            // own id. Until the parent is on the server the tag waits (it is not marked sent).
            if (RemoteRunIdOf(value) is { } parent) newTags.Add(new MlflowKeyValue(key, parent));
            else waiting = true;
        }
        foreach (var (_, bp, bt) in MlflowRestClient.Batches([], newParams, newTags))
        {
            await client.LogBatchAsync(runId, [], bp, bt, ct);
            foreach (var p in bp) state.Params[p.Key] = p.Value;
            foreach (var t in bt) state.Tags[t.Key] = localTags[t.Key];
            save();
        }
        return waiting;
    }

    /// <summary>
    /// The run's dataset inputs not yet on the server. One whose answer was lost goes again: the
    /// server keeps a dataset once per run by name and digest, so nothing is there twice.
    /// </summary>
    private async Task ShipInputs(string runDir, string runId, UploadState state, Action save, CancellationToken ct)
    {
        var fresh = MlflowFileStore.ReadInputs(runDir).Where(i => !state.Inputs.Contains(i.InputId)).ToList();
        foreach (var batch in fresh.Chunk(MlflowRestClient.MaxInputsPerRequest))
        {
            await client.LogInputsAsync(runId, batch.Select(i => i.Input), ct);
            state.Inputs.UnionWith(batch.Select(i => i.InputId));
            save();
        }
    }

    /// <summary>Metric points past each key's cursor, in batches recorded as pending until the server answers, each told to <paramref name="batchSent"/>.</summary>
    private async Task ShipMetrics(string runDir, string runId, UploadState state, Action save, Action<int> batchSent, CancellationToken ct)
    {
        var keys = MlflowFileStore.MetricKeys(runDir);
        while (NextMetricBatch(runDir, keys, state) is { Count: > 0 } batch)
        {
            state.Pending = batch.Counts;
            save();
            await client.LogBatchAsync(runId, batch.Points, [], [], ct);
            foreach (var (k, c) in batch.Counts) Advance(state, k, c);
            state.Pending = null;
            save();
            batchSent(batch.Count);
        }
    }

    private sealed record MetricBatch(List<MlflowMetric> Points, Dictionary<string, MetricCursor> Counts)
    {
        public int Count => Points.Count;
    }

    /// <summary>Up to a batch of points, read from each key's file past its cursor.</summary>
    private static MetricBatch NextMetricBatch(string runDir, IReadOnlyList<string> keys, UploadState state)
    {
        var batch = new MetricBatch([], new Dictionary<string, MetricCursor>(StringComparer.Ordinal));
        foreach (var key in keys)
        {
            if (batch.Count >= MlflowRestClient.MaxMetricsPerBatch) break;
            var from = state.Metrics.GetValueOrDefault(key) ?? new MetricCursor();
            using var f = new FileStream(Path.Combine(runDir, "metrics", key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            f.Seek(from.Bytes, SeekOrigin.Begin);
            var points = MlflowFileStore.ReadMetricLines(f, MlflowRestClient.MaxMetricsPerBatch - batch.Count, out var bytes);
            if (points.Count == 0) continue;
            batch.Points.AddRange(points.Select(p => new MlflowMetric(key, p.Value, p.Timestamp, p.Step)));
            batch.Counts[key] = new MetricCursor { Lines = points.Count, Bytes = bytes };
        }
        return batch;
    }

    /// <summary>Artifact files the server lacks (or of another size), when its artifact store takes uploads.</summary>
    private async Task ShipArtifacts(string runDir, UploadState state, Action save, CancellationToken ct)
    {
        foreach (var (file, rel, size) in PendingArtifacts(runDir, state).ToList())
        {
            await client.UploadArtifactAsync(state.ArtifactUri!, rel, file, ct);
            state.Artifacts[rel] = size;
            save();
        }
    }

    /// <summary>The run's artifact files that <paramref name="state"/> does not record as uploaded at their size; none when the server takes no uploads.</summary>
    private static IEnumerable<(string File, string Path, long Size)> PendingArtifacts(string runDir, UploadState state)
    {
        if (!MlflowRestClient.CanUploadArtifacts(state.ArtifactUri)) yield break;
        var root = Path.Combine(runDir, "artifacts");
        foreach (var file in Directory.Exists(root) ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories) : [])
        {
            if (AtomicFile.IsTemporary(Path.GetFileName(file))) continue;
            var rel = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            var size = new FileInfo(file).Length;
            if (state.Artifacts.GetValueOrDefault(rel, -1) != size) yield return (file, rel, size);
        }
    }

    /// <summary>The server's id of a local run, once it has been uploaded there.</summary>
    private string? RemoteRunIdOf(string localRunId)
    {
        var run = store.Runs().FirstOrDefault(r => r.RunId == localRunId);
        var path = run is null ? null : Path.Combine(run.Directory, MlflowFileStore.SidecarFolder, stateName + ".json");
        return path is not null && File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllText(path), UploadStateJsonContext.Default.UploadState)?.RemoteRunId
            : null;
    }

    private static void Advance(UploadState state, string key, MetricCursor by)
    {
        var c = state.Metrics.TryGetValue(key, out var old) ? old : state.Metrics[key] = new MetricCursor();
        c.Lines += by.Lines;
        c.Bytes += by.Bytes;
    }

    /// <summary>
    /// Stops the loop and ships the end of the current run, within the final flush limit or until
    /// <paramref name="interrupt"/> (a signal) fires; false when the upload was cut short by it.
    /// What is not shipped stays in the local store for <c>replab sync</c>.
    /// </summary>
    public bool Finish(CancellationToken interrupt = default)
    {
        stop.Cancel();
        try { loop?.Wait(); } catch (AggregateException) { }
        if (Interlocked.Exchange(ref current, null) is not { } dir) return true;
        // A server found down is not tried again now: the run ends at once, its upload is left to sync.
        if (LeftAlone()) return true;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        limit.CancelAfter(finalFlushLimit);
        // Off the caller's synchronization context: blocking on it from a UI or test context would deadlock.
        try { Task.Run(() => SyncRunAsync(dir, limit.Token)).GetAwaiter().GetResult(); }
        catch (OperationCanceledException)
        {
            log.WriteLine(interrupt.IsCancellationRequested
                ? $"replab: upload of run {Path.GetFileName(dir)} stopped by signal; `replab sync` uploads the rest"
                : $"replab: run {Path.GetFileName(dir)} not fully uploaded within {finalFlushLimit.TotalSeconds:0}s; `replab sync` uploads the rest");
        }
        return !interrupt.IsCancellationRequested;
    }

    /// <summary>Stops the loop and ships the end of the current run (unless <see cref="Finish"/> did), within the final flush limit.</summary>
    public void Dispose()
    {
        Finish();
        client.Dispose();
        stop.Dispose();
        wake.Dispose();
    }
}
