using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace RepLab.Tracking;

/// <summary>An experiment folder of a file store.</summary>
public sealed record LocalExperiment(string ExperimentId, string Name, string Directory);

/// <summary>A run's <c>meta.yaml</c>, as MLflow's file store writes it.</summary>
public sealed record LocalRunInfo(
    string RunId, string ExperimentId, string RunName, string UserId, long StartTime, long? EndTime,
    RunStatus Status, string LifecycleStage, string ArtifactUri, string Directory);

/// <summary>One line of a <c>metrics/&lt;key&gt;</c> file.</summary>
public readonly record struct MetricPoint(long Timestamp, double Value, long Step);

/// <summary>
/// MLflow's file store layout (<c>mlruns/</c>), written so that <c>mlflow ui --backend-store-uri
/// ./mlruns</c> (MLflow 2.x and 3.x) shows our runs: <c>&lt;experiment id&gt;/meta.yaml</c>,
/// <c>&lt;experiment id&gt;/&lt;run id&gt;/{meta.yaml, metrics/, params/, tags/, artifacts/}</c>.
/// Several processes may write one store: experiment ids come from the name, run ids are UUIDs,
/// each run has one writer, and meta files are replaced by rename.
/// </summary>
public sealed class MlflowFileStore
{
    /// <summary>Folder in a run directory for RepLab's own records (owner process, upload state); MLflow never reads it.</summary>
    public const string SidecarFolder = "replab";

    /// <summary>MLflow's folders of dataset inputs: <c>datasets/</c> in an experiment (one of its reserved names, never a run), <c>inputs/</c> in a run.</summary>
    public const string DatasetsFolder = "datasets", InputsFolder = "inputs";

    public MlflowFileStore(string root)
    {
        Root = Path.GetFullPath(root);
        EnsureDefaultExperiment();
    }

    /// <summary>Absolute path of the store.</summary>
    public string Root { get; }

    private void EnsureDefaultExperiment()
    {
        // MLflow creates experiment 0 "Default" and .trash when it opens an empty store; the UI expects both.
        Directory.CreateDirectory(Path.Combine(Root, ".trash"));
        if (!File.Exists(Path.Combine(Root, "0", "meta.yaml"))) WriteExperimentMeta("0", "Default");
    }

    /// <summary>Every active experiment folder with a readable <c>meta.yaml</c>.</summary>
    public IReadOnlyList<LocalExperiment> Experiments()
    {
        var list = new List<LocalExperiment>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            var id = Path.GetFileName(dir);
            if (id.StartsWith('.')) continue;
            var meta = TryReadYaml(Path.Combine(dir, "meta.yaml"));
            if (meta is null || meta.GetValueOrDefault("lifecycle_stage") == "deleted") continue;
            list.Add(new LocalExperiment(id, meta.GetValueOrDefault("name") ?? id, dir));
        }
        return list;
    }

    /// <summary>The id of the experiment named <paramref name="name"/>, created if missing.</summary>
    public string EnsureExperiment(string name)
    {
        var found = Experiments().FirstOrDefault(e => e.Name == name);
        if (found is not null) return found.ExperimentId;
        // The id is derived from the name, so two trials that create the experiment at once pick
        // the same folder instead of two experiments with one name.
        var id = (BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0) % 900_000_000_000_000UL + 100_000_000_000_000UL);
        while (true)
        {
            var dir = Path.Combine(Root, id.ToString(CultureInfo.InvariantCulture));
            var meta = TryReadYaml(Path.Combine(dir, "meta.yaml"));
            if (meta is null)
            {
                WriteExperimentMeta(id.ToString(CultureInfo.InvariantCulture), name);
                return id.ToString(CultureInfo.InvariantCulture);
            }
            if (meta.GetValueOrDefault("name") == name) return id.ToString(CultureInfo.InvariantCulture);
            id++;
        }
    }

    private void WriteExperimentMeta(string id, string name)
    {
        var dir = Path.Combine(Root, id);
        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        AtomicFile.Write(Path.Combine(dir, "meta.yaml"), Yaml(
            ("artifact_location", Q(new Uri(dir).AbsoluteUri)),
            ("creation_time", now.ToString(CultureInfo.InvariantCulture)),
            ("experiment_id", Q(id)),
            ("last_update_time", now.ToString(CultureInfo.InvariantCulture)),
            ("lifecycle_stage", "active"),
            ("name", Q(name))));
    }

    /// <summary>Creates a RUNNING run in <paramref name="experimentId"/> and returns its writer.</summary>
    public LocalRun CreateRun(string experimentId, string runName, string userId, DateTimeOffset start)
    {
        var runId = Guid.NewGuid().ToString("N");
        var dir = Path.Combine(Root, experimentId, runId);
        foreach (var sub in new[] { "metrics", "params", "tags", "artifacts", SidecarFolder })
            Directory.CreateDirectory(Path.Combine(dir, sub));
        var info = new LocalRunInfo(runId, experimentId, runName, userId, start.ToUnixTimeMilliseconds(), null, RunStatus.Running,
            "active", new Uri(Path.Combine(dir, "artifacts")).AbsoluteUri, dir);
        WriteRunMeta(info);
        return new LocalRun(info);
    }

    /// <summary>Every run of the store (or of one experiment), newest first.</summary>
    public IReadOnlyList<LocalRunInfo> Runs(string? experimentName = null)
    {
        var runs = new List<LocalRunInfo>();
        foreach (var e in Experiments())
        {
            if (experimentName is not null && e.Name != experimentName) continue;
            foreach (var dir in Directory.EnumerateDirectories(e.Directory))
                if (TryReadRunInfo(dir) is { } info && info.LifecycleStage != "deleted") runs.Add(info);
        }
        return runs.OrderByDescending(r => r.StartTime).ToList();
    }

    /// <summary>The store's run that recorded the run folder <paramref name="runFolder"/> (its <see cref="TagNames.RunDirectory"/> tag), newest first; null when none did.</summary>
    public LocalRunInfo? RunOfFolder(string runFolder, string? experimentName = null) =>
        Runs(experimentName).FirstOrDefault(r => ReadTags(r.Directory).GetValueOrDefault(TagNames.RunDirectory) == runFolder);

    /// <summary>The run of a run directory, or null when its <c>meta.yaml</c> is missing or unreadable.</summary>
    public static LocalRunInfo? TryReadRunInfo(string runDir)
    {
        try
        {
            return ReadRunInfo(runDir);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            return null;
        }
    }

    private static LocalRunInfo? ReadRunInfo(string runDir)
    {
        var m = TryReadYaml(Path.Combine(runDir, "meta.yaml"));
        if (m is null || m.GetValueOrDefault("run_id") is not { } runId) return null;
        return new LocalRunInfo(runId, m.GetValueOrDefault("experiment_id") ?? "", m.GetValueOrDefault("run_name") ?? "",
            m.GetValueOrDefault("user_id") ?? "", long.Parse(m.GetValueOrDefault("start_time") ?? "0", CultureInfo.InvariantCulture),
            m.GetValueOrDefault("end_time") is { } end && end != "null" && end != "" ? long.Parse(end, CultureInfo.InvariantCulture) : null,
            (RunStatus)int.Parse(m.GetValueOrDefault("status") ?? "1", CultureInfo.InvariantCulture),
            m.GetValueOrDefault("lifecycle_stage") ?? "active", m.GetValueOrDefault("artifact_uri") ?? "", Path.GetFullPath(runDir));
    }

    /// <summary>Params of a run: file name (with '/' for nested keys) to content.</summary>
    public static IReadOnlyDictionary<string, string> ReadParams(string runDir) => ReadKeyFiles(Path.Combine(runDir, "params"));

    /// <summary>Tags of a run.</summary>
    public static IReadOnlyDictionary<string, string> ReadTags(string runDir) => ReadKeyFiles(Path.Combine(runDir, "tags"));

    /// <summary>Metric keys of a run.</summary>
    public static IReadOnlyList<string> MetricKeys(string runDir) => KeyFiles(Path.Combine(runDir, "metrics")).ToList();

    /// <summary>
    /// The complete lines of one metric file. A line without its newline (a writer killed in
    /// the middle of a write) is not yet a point; it is ignored, as the uploader ignores it.
    /// </summary>
    public static IReadOnlyList<MetricPoint> ReadMetric(string runDir, string key)
    {
        var path = Path.Combine(runDir, "metrics", key);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return ReadMetricLines(stream, int.MaxValue, out _);
    }

    /// <summary>Reads up to <paramref name="max"/> complete lines from the stream's position; <paramref name="bytes"/> is how many bytes they took.</summary>
    internal static List<MetricPoint> ReadMetricLines(Stream stream, int max, out long bytes)
    {
        var points = new List<MetricPoint>();
        bytes = 0;
        var line = new List<byte>(64);
        int b;
        while (points.Count < max && (b = stream.ReadByte()) >= 0)
        {
            if (b != '\n') { line.Add((byte)b); continue; }
            bytes += line.Count + 1;
            points.Add(ParseMetricLine(Encoding.ASCII.GetString(line.ToArray())));
            line.Clear();
        }
        return points;
    }

    private static MetricPoint ParseMetricLine(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw new InvalidDataException($"bad metric line '{line}'");
        var value = parts[1] switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var v => double.Parse(v, CultureInfo.InvariantCulture),
        };
        return new MetricPoint(long.Parse(parts[0], CultureInfo.InvariantCulture), value,
            parts.Length > 2 ? long.Parse(parts[2], CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>A metric line as MLflow writes it: <c>timestamp value step</c>, Python's spelling of nan and inf.</summary>
    internal static string FormatMetricLine(MetricPoint p)
    {
        var value = double.IsNaN(p.Value) ? "nan"
            : double.IsPositiveInfinity(p.Value) ? "inf"
            : double.IsNegativeInfinity(p.Value) ? "-inf"
            : p.Value.ToString("R", CultureInfo.InvariantCulture);
        return $"{p.Timestamp.ToString(CultureInfo.InvariantCulture)} {value} {p.Step.ToString(CultureInfo.InvariantCulture)}\n";
    }

    private static IEnumerable<string> KeyFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(k => !AtomicFile.IsTemporary(Path.GetFileName(k)))
                .OrderBy(k => k, StringComparer.Ordinal)
            : [];

    private static Dictionary<string, string> ReadKeyFiles(string folder) =>
        KeyFiles(folder).ToDictionary(k => k, k => File.ReadAllText(Path.Combine(folder, k)), StringComparer.Ordinal);

    internal static void WriteRunMeta(LocalRunInfo r) =>
        // Every key MLflow's FileStore writes, in its (sorted) order; strings quoted so that ids
        // made only of digits stay strings for PyYAML.
        AtomicFile.Write(Path.Combine(r.Directory, "meta.yaml"), Yaml(
            ("artifact_uri", Q(r.ArtifactUri)),
            ("end_time", r.EndTime?.ToString(CultureInfo.InvariantCulture) ?? "null"),
            ("entry_point_name", "''"),
            ("experiment_id", Q(r.ExperimentId)),
            ("lifecycle_stage", r.LifecycleStage),
            ("run_id", Q(r.RunId)),
            ("run_name", Q(r.RunName)),
            ("run_uuid", Q(r.RunId)),
            ("source_name", "''"),
            ("source_type", "4"),
            ("source_version", "''"),
            ("start_time", r.StartTime.ToString(CultureInfo.InvariantCulture)),
            ("status", ((int)r.Status).ToString(CultureInfo.InvariantCulture)),
            ("tags", "[]"),
            ("user_id", Q(r.UserId))));

    /// <summary>
    /// Copies <paramref name="localPath"/> to <c>artifacts/&lt;artifactPath&gt;</c> of <paramref name="run"/>, atomically;
    /// a run that has ended can take more (an export made after it), and the uploader ships them on its next sync.
    /// </summary>
    public static void AddArtifact(LocalRunInfo run, string localPath, string artifactPath)
    {
        var root = Path.Combine(run.Directory, "artifacts");
        var target = Path.GetFullPath(Path.Combine(root, artifactPath));
        if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{artifactPath}' leaves the run's artifacts folder", nameof(artifactPath));
        AtomicFile.Copy(localPath, target);
    }

    /// <summary>MLflow's id of a dataset in an experiment: the hex MD5 of its name then its digest (UTF-8).</summary>
    public static string DatasetId(string name, string digest) => Md5Hex(name + digest);

    /// <summary>MLflow's id of a dataset's input to a run: the hex MD5 of the dataset id then the run id.</summary>
    public static string InputId(string datasetId, string runId) => Md5Hex(datasetId + runId);

#pragma warning disable CA5351 // MLflow's ids are MD5 names, not a security measure
    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
#pragma warning restore CA5351

    /// <summary>A dataset's <c>meta.yaml</c> as MLflow's FileStore writes it (PyYAML, sorted keys; absent schema or profile as null).</summary>
    internal static string DatasetMeta(DatasetInput d) => Yaml(
        ("digest", Q(d.Digest)),
        ("name", Q(d.Name)),
        ("profile", d.Profile is null ? "null" : Q(d.Profile)),
        ("schema", d.Schema is null ? "null" : Q(d.Schema)),
        ("source", Q(d.Source)),
        ("source_type", Q(d.SourceType)));

    /// <summary>
    /// An input's <c>meta.yaml</c> as MLflow's FileStore writes it: the dataset to the run, with the
    /// context as a tag mapping. MLflow 2.12 writes the dataset id as destination_id too (its reader
    /// ignores the field); we write the run, which the field means.
    /// </summary>
    internal static string InputMeta(string datasetId, string runId, string context) =>
        Yaml(("destination_id", Q(runId)), ("destination_type", "RUN"), ("source_id", Q(datasetId)), ("source_type", "DATASET"))
        + (context.Length == 0 ? "tags: {}\n" : $"tags:\n  {DatasetInput.ContextTag}: {Q(context)}\n");

    /// <summary>
    /// The dataset inputs of a run, read as MLflow's FileStore reads them: each <c>inputs/&lt;id&gt;/meta.yaml</c>
    /// joined to its dataset in the experiment's <c>datasets/</c>; one whose dataset is missing or
    /// unreadable is left out (MLflow warns and skips it).
    /// </summary>
    public static IReadOnlyList<(string InputId, DatasetInput Input)> ReadInputs(string runDir)
    {
        var inputs = Path.Combine(runDir, InputsFolder);
        if (!System.IO.Directory.Exists(inputs)) return [];
        var datasets = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runDir))!, DatasetsFolder);
        var found = new List<(string, DatasetInput)>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories(inputs).Order(StringComparer.Ordinal))
        {
            if (TryLoadMapping(Path.Combine(dir, "meta.yaml")) is not { } input || Scalar(input, "source_id") is not { } datasetId) continue;
            if (TryReadYaml(Path.Combine(datasets, datasetId, "meta.yaml")) is not { } d) continue;
            if (d.GetValueOrDefault("name") is not { } name || d.GetValueOrDefault("digest") is not { } digest) continue;
            var context = input.Children.TryGetValue(new YamlScalarNode("tags"), out var tags) && tags is YamlMappingNode map
                ? Scalar(map, DatasetInput.ContextTag) ?? "" : "";
            found.Add((Path.GetFileName(dir), new DatasetInput(name, digest, d.GetValueOrDefault("source_type") ?? "", d.GetValueOrDefault("source") ?? "",
                NullIfYamlNull(d.GetValueOrDefault("schema")), NullIfYamlNull(d.GetValueOrDefault("profile")), context)));
        }
        return found;
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static string? NullIfYamlNull(string? value) => value is null or "null" or "~" ? null : value;

    /// <summary>Sets the status (and end time) of a run written by any process; used by <c>replab runs --repair</c>.</summary>
    public static LocalRunInfo SetStatus(LocalRunInfo run, RunStatus status, long? endTime)
    {
        var updated = run with { Status = status, EndTime = endTime };
        WriteRunMeta(updated);
        return updated;
    }

    private static string Yaml(params (string key, string value)[] fields) =>
        string.Concat(fields.Select(f => $"{f.key}: {f.value}\n"));

    /// <summary>A YAML single-quoted scalar; line breaks become spaces since names are single-line.</summary>
    private static string Q(string s) => "'" + s.Replace("'", "''").Replace('\n', ' ').Replace('\r', ' ') + "'";

    /// <summary>Whether <paramref name="path"/> is a readable YAML mapping (a meta.yaml MLflow can load).</summary>
    internal static bool IsReadableMeta(string path) => TryReadYaml(path) is not null;

    /// <summary>Writes an experiment's meta.yaml (repairs use it for an experiment that lost its own).</summary>
    internal void WriteExperiment(string id, string name) => WriteExperimentMeta(id, name);

    private static Dictionary<string, string?>? TryReadYaml(string path)
    {
        try
        {
            return TryLoadMapping(path)?.Children.ToDictionary(
                kv => ((YamlScalarNode)kv.Key).Value!,
                kv => kv.Value is YamlScalarNode s ? s.Value : null);
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The YAML mapping in <paramref name="path"/>, or null when it is missing or not a mapping.</summary>
    private static YamlMappingNode? TryLoadMapping(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(path)) yaml.Load(reader);
            return yaml.Documents.Count == 0 ? null : yaml.Documents[0].RootNode as YamlMappingNode;
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or IOException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>
/// The writer of one run in a file store. Metric appends are flushed to the OS at once, so a
/// killed process leaves every point it logged; meta changes are atomic renames.
/// </summary>
public sealed class LocalRun : IDisposable
{
    private readonly Dictionary<string, FileStream> metricFiles = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    internal LocalRun(LocalRunInfo info)
    {
        Info = info;
        RecordOwner();
    }

    /// <summary>Opens an existing run for writing again (a resumed training run): RUNNING, no end time.</summary>
    public static LocalRun Reopen(LocalRunInfo info)
    {
        // A writer killed mid-line left a partial last line; appending to it would merge two points.
        var metrics = Path.Combine(info.Directory, "metrics");
        if (System.IO.Directory.Exists(metrics))
            foreach (var file in System.IO.Directory.EnumerateFiles(metrics, "*", SearchOption.AllDirectories))
                TrimPartialLine(file);
        // Temporaries of an interrupted atomic write (meta.yaml, params, the uploader's state).
        foreach (var tmp in System.IO.Directory.EnumerateFiles(info.Directory, "*.tmp", SearchOption.AllDirectories))
            if (AtomicFile.IsTemporary(Path.GetFileName(tmp))) File.Delete(tmp);
        return new(MlflowFileStore.SetStatus(info, RunStatus.Running, null));
    }

    private static void TrimPartialLine(string file)
    {
        using var f = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var end = f.Length;
        while (end > 0)
        {
            f.Position = end - 1;
            if (f.ReadByte() == '\n') break;
            end--;
        }
        if (end < f.Length) f.SetLength(end);
    }

    /// <summary>The run's meta as last written.</summary>
    public LocalRunInfo Info { get; private set; }

    public string Directory => Info.Directory;

    /// <summary>
    /// Which process writes this run (pid, host, process start), so <c>replab runs --repair</c>
    /// can tell a RUNNING run whose process died from one still training.
    /// </summary>
    private void RecordOwner()
    {
        using var me = Process.GetCurrentProcess();
        var start = me.StartTime.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        AtomicFile.Write(Path.Combine(Directory, MlflowFileStore.SidecarFolder, "owner"),
            $"{Environment.ProcessId} {Environment.MachineName} {start}\n");
    }

    public void LogMetric(string key, double value, long step, DateTimeOffset time)
    {
        key = MlflowNames.Sanitize(key);
        var line = Encoding.ASCII.GetBytes(MlflowFileStore.FormatMetricLine(new MetricPoint(time.ToUnixTimeMilliseconds(), value, step)));
        lock (gate)
        {
            if (!metricFiles.TryGetValue(key, out var f))
            {
                // MLflow's file store keeps a metric as a file named by its key, so one key cannot be a folder of another.
                var clash = metricFiles.Keys.FirstOrDefault(k => k.StartsWith(key + "/", StringComparison.Ordinal) || key.StartsWith(k + "/", StringComparison.Ordinal));
                if (clash is not null)
                    throw new InvalidOperationException($"metric '{key}' cannot be logged beside '{clash}': in MLflow's file store one key cannot be the folder of another (rename one, e.g. '{key.Replace('/', '-')}')");
                var path = Path.Combine(Directory, "metrics", key);
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                f = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 4096);
                metricFiles[key] = f;
            }
            // One write call per line, flushed now: a reader never sees half a line, a kill loses nothing logged.
            f.Write(line);
            f.Flush();
        }
    }

    /// <summary>Logs a param. Params are immutable in MLflow: the same value again is a no-op, a different one is an error.</summary>
    public void LogParam(string key, string value)
    {
        key = MlflowNames.Sanitize(key);
        value = MlflowNames.Cap(value, MlflowNames.MaxParamValueLength);
        var path = Path.Combine(Directory, "params", key);
        lock (gate)
        {
            if (File.Exists(path))
            {
                var old = File.ReadAllText(path);
                if (old == value) return;
                throw new InvalidOperationException($"param '{key}' is already logged with another value; MLflow params cannot change");
            }
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, value);
        }
    }

    public void SetTag(string key, string value)
    {
        key = MlflowNames.Sanitize(key);
        var path = Path.Combine(Directory, "tags", key);
        lock (gate)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, MlflowNames.Cap(value, MlflowNames.MaxTagValueLength));
        }
    }

    /// <summary>Copies <paramref name="localPath"/> to <c>artifacts/&lt;artifactPath&gt;</c>.</summary>
    public void LogArtifact(string localPath, string artifactPath) => MlflowFileStore.AddArtifact(Info, localPath, artifactPath);

    /// <summary>
    /// Records <paramref name="datasets"/> as inputs of the run in MLflow's layout: each dataset once per
    /// experiment in <c>datasets/&lt;dataset id&gt;/meta.yaml</c>, each input once per run in
    /// <c>inputs/&lt;input id&gt;/meta.yaml</c> (<see cref="MlflowFileStore.DatasetId"/>, <see cref="MlflowFileStore.InputId"/>).
    /// What is there already stays as it is: as in MLflow, a dataset keeps its first context.
    /// </summary>
    public void LogInputs(IEnumerable<DatasetInput> datasets)
    {
        var experimentDir = Path.GetDirectoryName(Directory)!;
        lock (gate)
            foreach (var d in datasets)
            {
                var datasetId = MlflowFileStore.DatasetId(d.Name, d.Digest);
                // The file, not the folder, says it is there: MLflow fails to read a run whose dataset folder is empty.
                var datasetMeta = Path.Combine(experimentDir, MlflowFileStore.DatasetsFolder, datasetId, "meta.yaml");
                if (!File.Exists(datasetMeta))
                {
                    System.IO.Directory.CreateDirectory(Path.GetDirectoryName(datasetMeta)!);
                    AtomicFile.Write(datasetMeta, MlflowFileStore.DatasetMeta(d));
                }
                var inputMeta = Path.Combine(Directory, MlflowFileStore.InputsFolder, MlflowFileStore.InputId(datasetId, Info.RunId), "meta.yaml");
                if (File.Exists(inputMeta)) continue;
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(inputMeta)!);
                AtomicFile.Write(inputMeta, MlflowFileStore.InputMeta(datasetId, Info.RunId, d.Context));
            }
    }

    /// <summary>Ends the run: status and end time in <c>meta.yaml</c>.</summary>
    public void End(RunStatus status, DateTimeOffset time)
    {
        lock (gate) Info = MlflowFileStore.SetStatus(Info, status, time.ToUnixTimeMilliseconds());
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var f in metricFiles.Values) f.Dispose();
            metricFiles.Clear();
        }
    }
}
