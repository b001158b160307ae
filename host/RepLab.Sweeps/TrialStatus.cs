using System.Text.Json;
using System.Text.Json.Serialization;
using RepLab.Tracking;

namespace RepLab.Sweeps;

/// <summary>Where a trial stands, as the sweep reports it.</summary>
public enum TrialOutcome
{
    /// <summary>Not started (no run folder, or one without records).</summary>
    Pending,

    /// <summary>Its process runs now.</summary>
    Running,

    /// <summary>Trained and evaluated: its run ended FINISHED. Never run again.</summary>
    Finished,

    /// <summary>It failed (its run ended FAILED or its process died): run again only with <c>--retry-failed</c>.</summary>
    Failed,

    /// <summary>Stopped part-way (a signal, a kill): the next sweep resumes it from its checkpoint.</summary>
    Interrupted,

    /// <summary>Cancelled before it ended (in the scheduler, or the sweep was stopped): the next sweep runs it.</summary>
    Cancelled,
}

/// <summary>A trial's state read from its run folder: outcome, progress, results and the first line of its error.</summary>
public sealed record TrialStatus(TrialOutcome Outcome, long Step, long TotalSteps, IReadOnlyDictionary<string, double> Metrics, string? Error, long? FirstStepTime)
{
    public static readonly TrialStatus Pending = new(TrialOutcome.Pending, 0, 0, new Dictionary<string, double>(), null, null);

    /// <summary>A trial's state from its run folder's records (<see cref="RunRecords"/>).</summary>
    public static TrialStatus Read(string runFolder)
    {
        var r = new RunRecords(runFolder).Read();
        if (!r.Any) return Pending;
        var outcome = r.Ended switch
        {
            RunStatus.Finished => TrialOutcome.Finished,
            RunStatus.Failed => TrialOutcome.Failed,
            null => TrialOutcome.Running,  // no end record: running now, or killed (the caller knows which)
            _ => TrialOutcome.Interrupted,
        };
        return new TrialStatus(outcome, r.Step, r.TotalSteps, r.Metrics, FirstLine(r.EndReason), r.FirstStepTime);
    }

    internal static string? FirstLine(string? text) =>
        text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    /// <summary>The last line of a trial's console log that says what went wrong, for a trial that died without a record.</summary>
    public static string? ErrorFromLog(string logFile)
    {
        if (!File.Exists(logFile)) return null;
        var lines = File.ReadLines(logFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return lines.LastOrDefault(l => l.StartsWith("replab:", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
               ?? lines.LastOrDefault();
    }
}

/// <summary>What a sweep keeps between its runs in <c>sweep.json</c>: its parent run and what became of trials that left no run record.</summary>
public sealed class SweepState
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("file")] public string File { get; set; } = "";
    [JsonPropertyName("overrides")] public List<string> Overrides { get; set; } = [];
    [JsonPropertyName("runs_dir")] public string RunsDir { get; set; } = "";
    [JsonPropertyName("parent_run_id")] public string? ParentRunId { get; set; }
    [JsonPropertyName("trials")] public Dictionary<string, TrialEntry> Trials { get; set; } = [];

    public sealed class TrialEntry
    {
        [JsonPropertyName("index")] public int Index { get; set; }
        [JsonPropertyName("settings")] public string Settings { get; set; } = "";
        [JsonPropertyName("overrides")] public List<string> Overrides { get; set; } = [];
        [JsonPropertyName("run_folder")] public string RunFolder { get; set; } = "";
        [JsonPropertyName("outcome")] public TrialOutcome? Outcome { get; set; }
        [JsonPropertyName("exit_code")] public int? ExitCode { get; set; }
        [JsonPropertyName("message")] public string? Message { get; set; }
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    public static string PathIn(string folder) => System.IO.Path.Combine(folder, "sweep.json");

    public static SweepState? Load(string folder)
    {
        var path = PathIn(folder);
        if (!System.IO.File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SweepState>(System.IO.File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is damaged ({e.Message}); delete it to start the sweep's record afresh (run folders are kept)"); }
    }

    public void Save(string folder) => AtomicFile.Write(PathIn(folder), JsonSerializer.Serialize(this, Json));
}
