using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RepLab.Abstractions;

namespace RepLab.Plugins.Executors.Slurm;

/// <summary>Options of the <c>slurm</c> executor: what each array task asks of the cluster.</summary>
public sealed record SlurmExecutorOptions : PluginOptions
{
    /// <summary>Partition (<c>--partition</c>); empty: the cluster's default (default empty).</summary>
    public string Partition { get; init; } = "";

    /// <summary>CPUs per trial (<c>--cpus-per-task</c>); the trial uses this many libtorch threads (default 1).</summary>
    [Range(1, 1024)]
    public int CpusPerTask { get; init; } = 1;

    /// <summary>Memory per trial (<c>--mem</c>, e.g. 4G); empty: the partition's default (default empty).</summary>
    public string Mem { get; init; } = "";

    /// <summary>
    /// Nodes per trial (<c>--nodes</c>). With <see cref="TasksPerNode"/>, a trial of more than one task runs
    /// under <c>srun</c>, one rank per task: its experiment's <c>trainer.distributed.processes</c> must be
    /// nodes x tasks-per-node (default 1).
    /// </summary>
    [Range(1, 4096)]
    public int Nodes { get; init; } = 1;

    /// <summary>Tasks (ranks) per node (<c>--ntasks-per-node</c>), each with <see cref="CpusPerTask"/> CPUs (default 1).</summary>
    [Range(1, 1024)]
    public int TasksPerNode { get; init; } = 1;

    /// <summary>GPUs per trial (<c>--gpus</c>); 0 asks for none (default 0).</summary>
    [Range(0, 64)]
    public int Gpus { get; init; }

    /// <summary>Time limit per trial (<c>--time</c>, e.g. 01:00:00); empty: the sweep's trial-timeout plus a minute, else the partition's (default empty).</summary>
    public string Time { get; init; } = "";

    /// <summary>Trials at once (<c>--array=...%N</c>); 0 takes <c>replab sweep --parallel</c>, else no limit (default 0).</summary>
    [Range(0, 100_000)]
    public int Parallel { get; init; }

    /// <summary>More sbatch options, each one word (e.g. [--qos=normal, --account=lab]) (default []).</summary>
    public string[] Extra { get; init; } = [];

    /// <summary>Seconds between polls of squeue (default 2).</summary>
    [Range(0.1, 600)]
    public double PollSeconds { get; init; } = 2;

    /// <summary>Tasks per job array; 0 asks scontrol for the cluster's MaxArraySize. A sweep with more trials goes as several arrays (default 0).</summary>
    [Range(0, 10_000_000)]
    public int MaxArraySize { get; init; }

    /// <summary>The job-completion log (jobcomp/filetxt) to read ended tasks from; empty asks scontrol for JobCompLoc (default empty).</summary>
    public string JobCompletionLog { get; init; } = "";
}

/// <summary>
/// Submits a sweep's trials as one Slurm job array (<c>sbatch --array=I,J,...%P</c>) whose task i
/// runs trial i as <c>replab run</c> (through one generated script), then follows the tasks:
/// <c>squeue --json</c> while slurmctld knows them, the job-completion log once they are purged. A
/// task cancelled while pending leaves no record anywhere, so what was submitted is kept in the
/// sweep's folder and a task that vanished unrecorded counts as cancelled. Ctrl-C cancels the
/// array (<c>scancel</c>). A restarted sweep watches tasks of its earlier submissions that still
/// pend or run instead of submitting them again. Results come back through the run folders and
/// the tracking store, never through Slurm's output files.
/// </summary>
[Plugin("slurm", Summary = "submits the trials as one Slurm job array and follows it (squeue --json, then the job-completion log)")]
public sealed partial class SlurmExecutor(SlurmExecutorOptions options) : ISweepExecutor
{
    /// <summary>One sbatch of a sweep: the array's job id and the trial (index, id) of each task.</summary>
    public sealed record Submission(string JobId, Dictionary<int, string> Tasks);

    /// <summary>A task's state as Slurm reports it, mapped.</summary>
    public sealed record TaskState(TrialState State, int? ExitCode, string? Message);

    /// <inheritdoc />
    public void Execute(SweepLaunch launch, Action<TrialUpdate> report, CancellationToken cancel)
    {
        var folder = Path.Combine(launch.Folder, "slurm");
        Directory.CreateDirectory(folder);
        var record = Path.Combine(folder, "submissions.json");
        var submissions = File.Exists(record) ? JsonSerializer.Deserialize<List<Submission>>(File.ReadAllText(record)) ?? [] : [];
        var watched = new Dictionary<int, (string Job, int Task)>();

        // Tasks an earlier sweep process submitted that Slurm still holds are watched, not submitted again.
        var alive = Query(submissions.Select(s => s.JobId).ToList());
        // By trial id, not index: a changed grid renumbers the trials, and the old task still runs its trial.
        foreach (var t in launch.Trials)
            foreach (var s in submissions.AsEnumerable().Reverse())
            {
                var task = s.Tasks.Where(kv => kv.Value == t.Id).Select(kv => (int?)kv.Key).FirstOrDefault();
                if (task is { } i && alive.TryGetValue((s.JobId, i), out var st) && st.State is TrialState.Pending or TrialState.Running)
                {
                    watched[t.Index] = (s.JobId, i);
                    break;
                }
            }
        var fresh = launch.Trials.Where(t => !watched.ContainsKey(t.Index)).ToList();
        if (fresh.Count > 0)
        {
            // Task i runs trial i while the indices fit Slurm's MaxArraySize; a larger sweep goes as several
            // arrays of at most that many tasks, task k of each running its k-th trial.
            var max = options.MaxArraySize > 0 ? options.MaxArraySize : MaxArraySize() ?? 1001;
            var chunks = fresh.Max(t => t.Index) < max ? [fresh.Select(t => (Task: t.Index, Trial: t)).ToList()]
                : fresh.Chunk(max).Select(c => c.Select((t, k) => (Task: k, Trial: t)).ToList()).ToList();
            var arrays = new List<string>();
            foreach (var chunk in chunks)
            {
                var job = Submit(launch, chunk, folder, submissions.Count);
                submissions.Add(new Submission(job, chunk.ToDictionary(c => c.Task, c => c.Trial.Id)));
                File.WriteAllText(record + ".tmp", JsonSerializer.Serialize(submissions, new JsonSerializerOptions { WriteIndented = true }));
                File.Move(record + ".tmp", record, overwrite: true);
                foreach (var (task, t) in chunk) watched[t.Index] = (job, task);
                arrays.Add(job);
            }
            Console.WriteLine($"replab: submitted Slurm job array{(arrays.Count > 1 ? "s" : "")} {string.Join(", ", arrays)} ({fresh.Count} tasks)" + (watched.Count > fresh.Count ? $"; watching {watched.Count - fresh.Count} tasks submitted before" : ""));
        }
        else Console.WriteLine($"replab: watching {watched.Count} Slurm tasks submitted before");

        var last = new Dictionary<int, TrialState>();
        var missing = new Dictionary<int, DateTime>();
        var cancelledAt = (DateTime?)null;
        var failures = 0;
        var jobs = watched.Values.Select(w => w.Job).Distinct().ToList();
        while (true)
        {
            if (cancel.IsCancellationRequested && cancelledAt is null)
            {
                cancelledAt = DateTime.UtcNow;
                Posix.Run("scancel", jobs);
            }
            Dictionary<(string, int), TaskState> states, ended;
            try
            {
                states = Query(jobs);
                ended = Completed(jobs);
                failures = 0;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or JsonException or FormatException or KeyNotFoundException && ++failures < MaxPollFailures)
            {
                // slurmctld restarting or busy: its jobs go on; ask again (the tasks' records wait for us).
                if (failures == 1) Console.Error.WriteLine($"replab: Slurm did not answer ({e.Message}); retrying for {MaxPollFailures * options.PollSeconds:F0} s");
                Thread.Sleep(TimeSpan.FromSeconds(options.PollSeconds));
                continue;
            }
            foreach (var (index, (job, task)) in watched)
            {
                if (last.TryGetValue(index, out var was) && Ended(was)) continue;
                TaskState? now = states.TryGetValue((job, task), out var s) ? s : ended.TryGetValue((job, task), out var e) ? e : null;
                if (now is null && ended.ContainsKey((job, -1)))
                    now = new TaskState(TrialState.Cancelled, null, "cancelled while pending (the array was cancelled)");
                if (now is null)
                {
                    // Purged from squeue without a completion record: cancelled while pending. One more poll first, for a record in flight.
                    missing.TryAdd(index, DateTime.UtcNow);
                    if (DateTime.UtcNow - missing[index] < MissingGrace) continue;
                    now = new TaskState(TrialState.Cancelled, null, "cancelled while pending (Slurm keeps no record of it)");
                }
                missing.Remove(index);
                if (last.TryGetValue(index, out var before) && before == now.State) continue;
                last[index] = now.State;
                report(new TrialUpdate(index, now.State, now.ExitCode, now.Message));
            }
            if (watched.Keys.All(i => last.TryGetValue(i, out var st) && Ended(st))) return;
            if (cancelledAt is { } at && DateTime.UtcNow - at > TimeSpan.FromMinutes(2))
            {
                foreach (var i in watched.Keys.Where(i => !(last.TryGetValue(i, out var st) && Ended(st))))
                    report(new TrialUpdate(i, TrialState.Cancelled, null, "cancelled; Slurm did not confirm its end within 2 minutes"));
                return;
            }
            Thread.Sleep(TimeSpan.FromSeconds(cancel.IsCancellationRequested ? Math.Min(options.PollSeconds, 1) : options.PollSeconds));
        }
    }

    /// <summary>How long a task may be gone from squeue without a completion record before it counts as cancelled while pending.</summary>
    private static readonly TimeSpan MissingGrace = TimeSpan.FromSeconds(10);

    /// <summary>Polls in a row that may fail (slurmctld restarting) before the sweep gives up.</summary>
    private const int MaxPollFailures = 30;

    /// <summary>Writes the array's script and submits it; the job id.</summary>
    private string Submit(SweepLaunch launch, IReadOnlyList<(int Task, TrialLaunch Trial)> trials, string folder, int number)
    {
        var script = new StringBuilder("#!/bin/bash\n# RepLab sweep " + new string(launch.Name.Where(c => !char.IsControl(c)).ToArray()) + ": each array task runs the trial listed for it.\n");
        script.Append("export REPLAB_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\ncase \"$SLURM_ARRAY_TASK_ID\" in\n");
        foreach (var (task, t) in trials)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(t.LogFile)!);
            var command = string.Join(" ", new[] { launch.Program }.Concat(launch.ProgramArguments).Concat(t.Arguments).Select(Posix.Quote));
            script.Append(CultureInfo.InvariantCulture, $"  {task}) exec {Ranks()}{command} >>{Posix.Quote(t.LogFile)} 2>&1 ;;\n");
        }
        script.Append("  *) echo \"replab: no trial for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n");
        var path = Path.Combine(folder, $"array-{number}.sh");
        File.WriteAllText(path, script.ToString());
        var parallel = launch.Parallel > 0 ? launch.Parallel : options.Parallel;
        var args = new List<string>
        {
            "--parsable", $"--job-name=replab-{launch.Name}", $"--array={string.Join(",", trials.Select(t => t.Task))}{(parallel > 0 ? $"%{parallel}" : "")}",
            $"--chdir={launch.WorkingDirectory}", $"--cpus-per-task={options.CpusPerTask}", $"--output={Path.Combine(folder, "slurm-%A_%a.out")}",
        };
        if (options.Partition.Length > 0) args.Add($"--partition={options.Partition}");
        if (options.Mem.Length > 0) args.Add($"--mem={options.Mem}");
        if (options.Gpus > 0) args.Add($"--gpus={options.Gpus}");
        if (options.Nodes * options.TasksPerNode > 1) args.AddRange([$"--nodes={options.Nodes}", $"--ntasks-per-node={options.TasksPerNode}"]);
        if (TimeOption(options.Time, launch.TrialTimeout) is { } time) args.Add(time);
        args.AddRange(options.Extra);
        args.Add(path);
        var (code, output, error) = Posix.Run("sbatch", args);
        // What sbatch refuses (a partition that does not exist, too much memory) is the sweep's settings to fix.
        if (code != 0) throw new ArgumentException($"sbatch refused the sweep's job array (exit {code}): {error.Trim()}; check sweep.executor's options");
        return output.Trim().Split(';')[0];
    }

    /// <summary>
    /// The prefix that starts a trial of several ranks as one srun step (each task a rank; one task ending
    /// badly ends the step), or nothing for a trial of one task. srun is given the CPUs per task itself:
    /// since Slurm 22.05 a step does not take them from the batch job.
    /// </summary>
    private string Ranks() => options.Nodes * options.TasksPerNode > 1
        ? $"srun --kill-on-bad-exit=1 --nodes={options.Nodes} --ntasks-per-node={options.TasksPerNode} --cpus-per-task={options.CpusPerTask} "
        : "";

    /// <summary>What squeue knows of <paramref name="jobs"/>' tasks, keyed by (array job id, task index).</summary>
    private static Dictionary<(string, int), TaskState> Query(IReadOnlyList<string> jobs)
    {
        var result = new Dictionary<(string, int), TaskState>();
        if (jobs.Count == 0) return result;
        // SLURM_BITSTR_LEN=0: the full task range of a pending array (squeue cuts it at 64 characters with "..." otherwise).
        var (code, output, error) = Posix.Run("squeue", ["--json"], environment: new Dictionary<string, string> { ["SLURM_BITSTR_LEN"] = "0" });
        if (code != 0) throw new InvalidOperationException($"squeue --json failed (exit {code}): {error.Trim()}");
        return Parse(output, jobs);
    }

    /// <summary>Parses <c>squeue --json</c> (Slurm 22.05+: job_state a string, or a list in later versions; exit_code a wait status or an object).</summary>
    public static Dictionary<(string, int), TaskState> Parse(string json, IReadOnlyList<string> jobs)
    {
        var result = new Dictionary<(string, int), TaskState>();
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            throw new InvalidOperationException($"squeue: {errors[0].GetProperty("description").GetString()} (is slurmctld running?)");
        foreach (var j in doc.RootElement.GetProperty("jobs").EnumerateArray())
        {
            var arrayJob = Number(j, "array_job_id")?.ToString(CultureInfo.InvariantCulture);
            if (arrayJob is null || !jobs.Contains(arrayJob)) continue;
            var state = State(j.GetProperty("job_state"));
            var reason = j.TryGetProperty("state_reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var exit = ExitCode(j);
            var mapped = Map(state, exit, reason);
            if (Number(j, "array_task_id") is { } task) result[(arrayJob, (int)task)] = mapped;
            else if (j.TryGetProperty("array_task_string", out var range) && range.GetString() is { Length: > 0 } text)
                foreach (var i in Indices(text)) result[(arrayJob, i)] = mapped;
        }
        return result;
    }

    private static long? Number(JsonElement j, string name)
    {
        if (!j.TryGetProperty(name, out var v)) return null;
        // NO_VAL (0xfffffffe) and its kin mean unset.
        if (v.ValueKind == JsonValueKind.Number) return v.GetInt64() is var value and >= 0 and <= int.MaxValue ? value : null;
        // Later Slurm wraps numbers: {"set": true, "infinite": false, "number": 3}.
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("set", out var set) && set.GetBoolean() && v.TryGetProperty("number", out var n)) return n.GetInt64();
        return null;
    }

    private static string State(JsonElement v) => v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().FirstOrDefault().GetString() ?? "" : v.GetString() ?? "";

    private static int? ExitCode(JsonElement j)
    {
        if (!j.TryGetProperty("exit_code", out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return (v.GetInt32() >> 8) & 0xff;  // a wait status: exit code in the high byte
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("return_code", out var rc)) return (int?)Number(v, "return_code") ?? (rc.ValueKind == JsonValueKind.Number ? rc.GetInt32() : null);
        return null;
    }

    /// <summary>The indices of an array range text: <c>2-3%2</c>, <c>1,4,7-9</c>.</summary>
    public static IEnumerable<int> Indices(string text)
    {
        static int? Parse(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        foreach (var part in text.Split('%')[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            // A part squeue cut short ("7-..." or "...") names no task: those tasks look missing until the next poll.
            var step = part.Split(':');
            var bounds = step[0].Split('-');
            if (Parse(bounds[0]) is not { } lo) continue;
            if ((bounds.Length > 1 ? Parse(bounds[1]) : lo) is not { } hi) continue;
            var by = step.Length > 1 ? Parse(step[1]) ?? 1 : 1;
            for (var i = lo; i <= hi; i += Math.Max(1, by)) yield return i;
        }
    }

    /// <summary>A Slurm job state as a trial state.</summary>
    private static TaskState Map(string state, int? exit, string? reason) => state switch
    {
        "PENDING" or "SUSPENDED" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD" or "PREEMPTED" => new(TrialState.Pending, null, reason),
        "RUNNING" or "CONFIGURING" or "COMPLETING" or "STAGE_OUT" or "SIGNALING" or "RESIZING" => new(TrialState.Running, null, null),
        "COMPLETED" => new(TrialState.Succeeded, 0, null),
        "CANCELLED" => new(TrialState.Cancelled, exit, "cancelled in Slurm"),
        "TIMEOUT" or "DEADLINE" => new(TrialState.TimedOut, exit, "Slurm time limit reached"),
        "OUT_OF_MEMORY" => new(TrialState.Failed, exit, "out of memory (Slurm)"),
        "NODE_FAIL" or "BOOT_FAIL" => new(TrialState.Failed, exit, $"Slurm {state}"),
        _ => new(TrialState.Failed, exit, $"Slurm {state}{(exit is { } c ? $", exit code {c}" : "")}"),
    };

    /// <summary>
    /// Ended tasks from the job-completion log (jobcomp/filetxt): one <c>Key=Value</c> line per ended
    /// job, tasks named by ArrayJobId and ArrayTaskId. A line of the array's own id without them is
    /// the cancelled remainder of the array (key task -1).
    /// </summary>
    private Dictionary<(string, int), TaskState> Completed(IReadOnlyList<string> jobs)
    {
        var log = options.JobCompletionLog.Length > 0 ? options.JobCompletionLog : JobCompLoc();
        if (log is null || !File.Exists(log)) return completions;
        try
        {
            // Only what was appended since the last poll: the log holds every job the cluster ever ran.
            using var f = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (f.Length < completionOffset) completionOffset = 0;  // rotated
            f.Position = completionOffset;
            using var reader = new StreamReader(f);
            var text = reader.ReadToEnd();
            var complete = text.LastIndexOf('\n') + 1;  // a line being written waits for the next poll
            completionOffset += System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, complete));
            foreach (var (k, v) in ParseCompletions(text[..complete].Split('\n'), jobs)) completions[k] = v;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            if (!completionLogUnreadable) Console.Error.WriteLine($"replab: cannot read Slurm's job-completion log {log} ({e.Message}); tasks purged from squeue count as cancelled");
            completionLogUnreadable = true;
        }
        return completions;
    }

    /// <summary>Whether Slurm is done with a task (neither waiting nor running).</summary>
    private static bool Ended(TrialState state) => state is not (TrialState.Pending or TrialState.Running);

    private readonly Dictionary<(string, int), TaskState> completions = [];
    private long completionOffset;
    private bool completionLogUnreadable;

    /// <summary>
    /// sbatch's <c>--time</c>: the executor's <c>time</c> option, else the sweep's trial-timeout plus a minute in whole
    /// minutes (the trial stops itself at its limit; Slurm's stops one that cannot), else none (the partition's).
    /// </summary>
    public static string? TimeOption(string time, TimeSpan? trialTimeout) =>
        time.Length > 0 ? $"--time={time}" : trialTimeout is { } limit ? $"--time={(int)Math.Ceiling(limit.TotalMinutes) + 1}" : null;

    /// <summary>Parses job-completion lines for the tasks of <paramref name="jobs"/>.</summary>
    public static Dictionary<(string, int), TaskState> ParseCompletions(IEnumerable<string> lines, IReadOnlyList<string> jobs)
    {
        var result = new Dictionary<(string, int), TaskState>();
        foreach (var line in lines)
        {
            var fields = new Dictionary<string, string>();
            foreach (Match m in Field().Matches(line)) fields.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
            if (!fields.TryGetValue("JobId", out var id)) continue;
            var arrayJob = fields.GetValueOrDefault("ArrayJobId");
            var exit = fields.TryGetValue("ExitCode", out var e) && int.TryParse(e.Split(':')[0], out var c) ? c : (int?)null;
            var state = Map(fields.GetValueOrDefault("JobState", ""), exit, null);
            // A completion record is final: a state that would wait (PREEMPTED, REQUEUED) ended this job.
            if (state.State is TrialState.Pending or TrialState.Running) state = new TaskState(TrialState.Failed, exit, $"Slurm ended it as {fields.GetValueOrDefault("JobState")}");
            if (arrayJob is not null && jobs.Contains(arrayJob) && int.TryParse(fields.GetValueOrDefault("ArrayTaskId"), out var task))
                result[(arrayJob, task)] = state with { Message = state.State == TrialState.Failed ? state.Message ?? $"exit code {exit}" : state.Message };
            else if (arrayJob is null && jobs.Contains(id) && state.State == TrialState.Cancelled)
                result[(id, -1)] = state;
        }
        return result;
    }

    [GeneratedRegex(@"(\w+)=(\S*)")]
    private static partial Regex Field();

    private static string? JobCompLoc() => ClusterSetting("JobCompLoc");

    private static int? MaxArraySize() => int.TryParse(ClusterSetting("MaxArraySize"), out var n) && n > 0 ? n : null;

    private static readonly Dictionary<string, string?> settings = [];

    /// <summary>One setting of <c>scontrol show config</c> (asked once per process), or null.</summary>
    private static string? ClusterSetting(string key)
    {
        lock (settings)
        {
            if (settings.TryGetValue(key, out var known)) return known;
            var (code, output, _) = Posix.Run("scontrol", ["show", "config"]);
            var line = code != 0 ? null : output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(key + " ", StringComparison.Ordinal));
            return settings[key] = line?.Split('=', 2)[1].Trim();
        }
    }
}
