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

    /// <summary>Stopped at the sweep's <c>trial-timeout</c>: left, like a failed trial, unless <c>--retry-failed</c> (which resumes it).</summary>
    TimedOut,

    /// <summary>Its run folder is held by a live run that is not this sweep's (another sweep, a run left by a killed sweep): the sweep waits for it.</summary>
    RunningElsewhere,
}

/// <summary>Outcomes in words.</summary>
public static class TrialOutcomes
{
    /// <summary>"finished", "timed out", "running elsewhere".</summary>
    public static string Words(this TrialOutcome o) => o switch
    {
        TrialOutcome.TimedOut => "timed out",
        TrialOutcome.RunningElsewhere => "running elsewhere",
        _ => o.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether the trial ended without results through no fault of the sweep's: failed or timed out.</summary>
    public static bool IsFailure(this TrialOutcome o) => o is TrialOutcome.Failed or TrialOutcome.TimedOut;

    /// <summary>Whether the trial's run ended for good (finished, failed or timed out): nothing an executor reports later changes it.</summary>
    public static bool HasEnded(this TrialOutcome o) => o == TrialOutcome.Finished || o.IsFailure();
}

/// <summary>A trial's state read from its run folder: outcome, progress, results and the first line of its error.</summary>
public sealed record TrialStatus(TrialOutcome Outcome, long Step, long TotalSteps, IReadOnlyDictionary<string, double> Metrics, string? Error, long? FirstStepTime)
{
    public static readonly TrialStatus Pending = new(TrialOutcome.Pending, 0, 0, new Dictionary<string, double>(), null, null);

    /// <summary>
    /// A trial's state from its run folder's records (<see cref="RunRecords"/>); <see cref="TrialOutcome.RunningElsewhere"/>
    /// when a live process holds the folder. The sweep reads its own running children without
    /// <paramref name="probeLock"/>: probing takes the lock for an instant, which a child starting then would find taken.
    /// </summary>
    public static TrialStatus Read(string runFolder, bool probeLock = true)
    {
        var records = new RunRecords(runFolder);
        var r = records.Read();
        var held = probeLock && r.Ended is null && FolderLock.IsHeld(records.LockFile);
        if (!r.Any) return held ? Pending with { Outcome = TrialOutcome.RunningElsewhere } : Pending;
        var outcome = r.Ended switch
        {
            RunStatus.Finished => TrialOutcome.Finished,
            RunStatus.Failed => TrialOutcome.Failed,
            RunStatus.TimedOut => TrialOutcome.TimedOut,
            null when held => TrialOutcome.RunningElsewhere,
            null => TrialOutcome.Running,  // no end record and no holder: killed (the caller knows its own children)
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
