using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace RepLab.Tracking;

/// <summary>
/// The records of one run folder, <c>RUNS/NAME/CONFIGHASH</c>, and the one place that knows them:
/// the folder's layout and file names, the kinds of record in <c>metrics.jsonl</c>, the statuses
/// and the tag names. The runner writes through <see cref="OpenWriter"/> and <see cref="WriteEvaluation"/>;
/// the runner, sweeps and the <c>runs</c> and <c>sync</c> commands read through <see cref="Read"/>
/// and <see cref="ReadEvaluation"/>.
/// </summary>
public sealed partial class RunRecords(string folder)
{
    /// <summary>The run folder (absolute).</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The run's last checkpoint (model, optimizers, position).</summary>
    public string Checkpoint => Path.Combine(Folder, "checkpoints", "last.safetensors");

    /// <summary>The folder of the run's artifacts (grids, encoder weights).</summary>
    public string Artifacts => Path.Combine(Folder, "artifacts");

    /// <summary>The encoder weights a finished run leaves in <see cref="Artifacts"/>.</summary>
    public string EncoderWeights => Path.Combine(Artifacts, EncoderArtifact);

    /// <summary>The resolved config the run was started with.</summary>
    public string ConfigFile => Path.Combine(Folder, "config.yaml");

    /// <summary>Every event of the run, one JSON object a line (<see cref="RecordKind"/>).</summary>
    public string MetricsFile => Path.Combine(Folder, "metrics.jsonl");

    /// <summary>The final evaluation metrics of a finished run.</summary>
    public string EvaluationFile => Path.Combine(Folder, "evaluation.json");

    /// <summary>The whole trace of a failed run (the console gets one line).</summary>
    public string ErrorLog => Path.Combine(Folder, "error.log");

    /// <summary>The file one run at a time holds locked.</summary>
    public string LockFile => Path.Combine(Folder, "run.lock");

    /// <summary>Who holds <see cref="LockFile"/>: pid, host and since when.</summary>
    public string LockOwnerFile => Path.Combine(Folder, "run.lock.owner");

    /// <summary>The artifact names the run logs its evaluation, weights and checkpoint under.</summary>
    public const string EvaluationArtifact = "evaluation.json", EncoderArtifact = "encoder.safetensors", ConfigArtifact = "config.yaml", CheckpointArtifact = "checkpoints/last.safetensors";

    /// <summary>The folder of the run of config hash <paramref name="shortHash"/> of experiment <paramref name="name"/>: <c>RUNS/NAME/HASH</c>.</summary>
    public static RunRecords For(string runsRoot, string name, string shortHash) =>
        new(Path.Combine(Path.GetFullPath(runsRoot), SafeName(name), shortHash));

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex Unsafe();

    /// <summary>
    /// <paramref name="name"/> as one folder name: characters other than letters, digits, '.', '_'
    /// and '-' become '_', and leading dots are dropped, so no name reaches outside the runs folder.
    /// </summary>
    public static string SafeName(string name)
    {
        var safe = Unsafe().Replace(name, "_").TrimStart('.');
        return safe.Length == 0 ? "experiment" : safe;
    }

    /// <summary>A writer of <see cref="MetricsFile"/>: a fresh file, or appended to for a resumed run.</summary>
    public ITracker OpenWriter(bool append) => new RunRecordWriter(MetricsFile, append);

    /// <summary>
    /// How the records write and read numbers: NaN and the infinities are data (a degenerate
    /// evaluation, a diverging metric), written as the strings "NaN", "Infinity" and "-Infinity",
    /// as MLflow's REST API returns them.
    /// </summary>
    internal static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };

    /// <summary>Writes the final evaluation metrics (atomically); non-finite values as <see cref="Json"/> says.</summary>
    public void WriteEvaluation(IReadOnlyDictionary<string, double> metrics) =>
        AtomicFile.Write(EvaluationFile, JsonSerializer.Serialize(metrics, IndentedJson));

    /// <summary>The final evaluation metrics; none when there are none or the file is damaged.</summary>
    public IReadOnlyDictionary<string, double> ReadEvaluation()
    {
        if (!File.Exists(EvaluationFile)) return new Dictionary<string, double>();
        try { return JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(EvaluationFile), Json) ?? []; }
        catch (JsonException) { return new Dictionary<string, double>(); }
    }

    /// <summary>Reads <see cref="MetricsFile"/> (shared with a writer that may be appending) and, for a finished run, the evaluation.</summary>
    public RunSummary Read()
    {
        if (!File.Exists(MetricsFile)) return RunSummary.None;
        var summary = new SummaryBuilder();
        foreach (var line in Lines()) summary.Add(line);
        if (!summary.Any) return RunSummary.None;
        var metrics = summary.Ended == RunStatus.Finished ? ReadEvaluation() : new Dictionary<string, double>();
        return new RunSummary(true, summary.Ended, summary.Step, summary.TotalSteps, metrics, summary.Reason, summary.FirstStepTime) { NextSystemStep = summary.NextSystemStep };
    }

    /// <summary>The non-empty lines of <see cref="MetricsFile"/>, read while a writer may be appending.</summary>
    private IEnumerable<string> Lines()
    {
        using var reader = new StreamReader(new FileStream(MetricsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return line;
    }

    /// <summary>The datasets the records hold (<see cref="RecordKind.Dataset"/>) by name and digest: a resumed run logs only others.</summary>
    public IReadOnlySet<(string Name, string Digest)> LoggedDatasets()
    {
        var logged = new HashSet<(string, string)>();
        if (!File.Exists(MetricsFile)) return logged;
        foreach (var line in Lines())
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("kind").GetString() != RecordKind.Dataset) continue;
                foreach (var d in doc.RootElement.GetProperty("datasets").EnumerateArray())
                    logged.Add((d.GetProperty("name").GetString()!, d.GetProperty("digest").GetString()!));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // a line cut by a kill: what it held is logged again
            }
        }
        return logged;
    }

    /// <summary>Accumulates the records of metrics.jsonl in order; a later start clears an earlier end.</summary>
    private sealed class SummaryBuilder
    {
        public bool Any;
        public RunStatus? Ended;
        public string? Reason;
        public long Step, TotalSteps;
        public long? FirstStepTime;
        public long NextSystemStep;

        public void Add(string line)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                Any = true;
                switch (r.GetProperty("kind").GetString())
                {
                    case RecordKind.Metric:
                        Step = Math.Max(Step, r.GetProperty("step").GetInt64());
                        FirstStepTime ??= r.GetProperty("time").GetInt64();
                        break;
                    case RecordKind.SystemMetrics:
                        NextSystemStep = Math.Max(NextSystemStep, r.GetProperty("step").GetInt64() + 1);
                        break;
                    case RecordKind.Tag when r.GetProperty("key").GetString() == TagNames.TotalSteps:
                        long.TryParse(r.GetProperty("value").GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out TotalSteps);
                        break;
                    case RecordKind.Start:
                        (Ended, Reason) = (null, null);
                        break;
                    case RecordKind.End:
                        Ended = Enum.TryParse<RunStatus>(r.GetProperty("status").GetString(), out var s) ? s : RunStatus.Killed;
                        Reason = r.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
                        break;
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // a line cut by a kill: the run did not end there
            }
        }
    }
}

/// <summary>What a run folder's records say.</summary>
/// <param name="Any">Whether the folder holds any record (a run started there).</param>
/// <param name="Ended">How the last attempt ended; null while running, or when it was killed without an end record.</param>
/// <param name="Step">The last step a metric was recorded at.</param>
/// <param name="TotalSteps">The planned steps (<see cref="TagNames.TotalSteps"/>), 0 before they are known.</param>
/// <param name="Metrics">The evaluation metrics of a finished run.</param>
/// <param name="EndReason">Why it ended, when it did not finish.</param>
/// <param name="FirstStepTime">When the first metric was recorded (Unix ms).</param>
public sealed record RunSummary(bool Any, RunStatus? Ended, long Step, long TotalSteps, IReadOnlyDictionary<string, double> Metrics, string? EndReason, long? FirstStepTime)
{
    /// <summary>The step the next system-metrics point takes: one past the last recorded (0 without any), as MLflow resumes its monitor.</summary>
    public long NextSystemStep { get; init; }

    /// <summary>A folder without records.</summary>
    public static readonly RunSummary None = new(false, null, 0, 0, new Dictionary<string, double>(), null, null);
}

/// <summary>The <c>kind</c> of each record in metrics.jsonl.</summary>
public static class RecordKind
{
    public const string Metric = "metric", Start = "start", Resume = "resume", Tag = "tag", Artifact = "artifact", End = "end";

    /// <summary>A point of the system metrics (<see cref="SystemMetricsSampled"/>): <c>step</c> and <c>metrics</c>, a map of name to value.</summary>
    public const string SystemMetrics = "system";

    /// <summary>The datasets of one <see cref="DatasetsLogged"/>, under <c>datasets</c>.</summary>
    public const string Dataset = "dataset";
}

/// <summary>Every tag name a run or a sweep sets beside MLflow's own, in one place.</summary>
public static class TagNames
{
    /// <summary>The run's planned steps (progress of a running trial).</summary>
    public const string TotalSteps = "replab.total_steps";

    /// <summary>How many processes trained the run (<c>trainer.distributed</c>); absent for one.</summary>
    public const string Ranks = "replab.distributed.ranks";

    /// <summary>MLflow's tag naming a child run's parent (a sweep); locally it holds the parent's local run id.</summary>
    public const string ParentRunId = "mlflow.parentRunId";

    /// <summary>The local run id on the server, so a run created there but not yet recorded here is found, not created again.</summary>
    public const string LocalRunId = "replab.local_run_id";

    /// <summary>The run folder, to find the MLflow run of a resumed training run.</summary>
    public const string RunDirectory = "replab.run_dir";

    /// <summary>Why a run ended other than FINISHED.</summary>
    public const string EndReason = "replab.end_reason";

    /// <summary>The step a resumed run continued from.</summary>
    public const string ResumedAtStep = "replab.resumed_at_step";

    /// <summary>The hash of the resolved config.</summary>
    public const string ConfigHash = "replab.config_hash";

    /// <summary>RepLab's version with its commit.</summary>
    public const string Version = "replab.version";

    /// <summary>The libtorch the run trained with.</summary>
    public const string Libtorch = "replab.libtorch";

    /// <summary>The encoder's input normalisation (per-channel mean and std).</summary>
    public const string DataMean = "replab.data.mean", DataStd = "replab.data.std";

    /// <summary>A chosen plugin with its version, by the key path of its section.</summary>
    public static string Plugin(string keyPath) => $"replab.plugin.{keyPath}";

    /// <summary>An optimizer group's resolved settings.</summary>
    public static string Optimizer(string group) => $"replab.optimizer.{group}";

    /// <summary>A sweep's parent run: its name, file, trial count and each swept parameter's values.</summary>
    public const string Sweep = "replab.sweep", SweepFile = "replab.sweep.file", SweepTrials = "replab.sweep.trials";

    /// <summary>The values a sweep gives parameter <paramref name="path"/>.</summary>
    public static string SweepValues(string path) => $"replab.sweep.values.{path}";
}
