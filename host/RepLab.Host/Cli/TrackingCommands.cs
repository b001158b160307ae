using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Tracking;
using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary><c>replab runs</c> (list and repair local runs) and <c>replab sync</c> (upload them to a server).</summary>
internal static class TrackingCommands
{
    internal static IEnumerable<Command> Create(Option<bool> verbose)
    {
        var store = new Option<string?>("--store") { Description = "Local MLflow store (default: MLFLOW_TRACKING_URI when it is a path, else REPLAB_LOCAL_STORE or ./mlruns)" };
        var experiment = new Option<string?>("--experiment") { Description = "Only runs of this experiment" };
        var repair = new Option<bool>("--repair") { Description = "Mark RUNNING runs whose process is gone as FAILED; rebuild damaged meta.yaml files; drop unreadable metric lines" };
        var to = new Option<string?>("--to") { Description = "Tracking server URI (default: MLFLOW_TRACKING_URI)" };

        var runs = new Command("runs", "List local runs: status, key params and final metrics") { experiment, repair, store };
        runs.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var fileStore = new MlflowFileStore(StorePath(r.GetValue(store)));
            if (r.GetValue(repair))
            {
                foreach (var damage in StoreDoctor.Repair(fileStore))
                    Console.WriteLine($"repaired {damage.File}: {damage.Problem}");
                foreach (var run in RunRepair.Repair(fileStore, r.GetValue(experiment)))
                    Console.WriteLine($"marked run {run.RunId} ({run.RunName}) FAILED: its process is gone");
            }
            WriteTable(fileStore, r.GetValue(experiment));
            var damaged = StoreDoctor.Examine(fileStore);
            foreach (var d in damaged) Console.WriteLine($"damaged: {d.File}: {d.Problem}");
            if (damaged.Count > 0)
                Console.WriteLine($"{damaged.Count} damaged file{(damaged.Count == 1 ? "" : "s")} in the store; replab runs --repair fixes {(damaged.All(d => d.Repairable) ? "them" : "what it can")}");
            return 0;
        }));

        var deadline = new Option<string?>("--deadline")
        {
            Description = $"Stop after this long: {Duration.Format}; what reached the server stays there, and the next sync goes on from it",
        };
        var sync = new Command("sync", "Upload local runs the tracking server does not have yet (idempotent)") { to, experiment, store, deadline };
        sync.SetAction(r => CliGuard.Run(r.GetValue(verbose), () => Sync(r.GetValue(to), r.GetValue(store), r.GetValue(experiment), r.GetValue(deadline))));

        return [runs, sync];
    }

    /// <summary>
    /// <c>replab sync</c>: every request has a time limit and is retried with backoff
    /// (<see cref="MlflowRequestPolicy.Sync"/>), progress goes to stderr, and a deadline stops it
    /// with one line saying what was uploaded and what is left (exit 1).
    /// </summary>
    private static int Sync(string? to, string? storeOption, string? experiment, string? deadlineText)
    {
        var deadline = deadlineText is null ? (TimeSpan?)null : Duration.Option(deadlineText, "--deadline");
        var target = TrackingTarget.Parse(to ?? TrackingTarget.ResolveUri(null));
        if (target.Server is null)
        {
            Console.Error.WriteLine("replab sync: no tracking server: pass --to http(s)://host:port or set MLFLOW_TRACKING_URI");
            return 2;
        }
        var fileStore = new MlflowFileStore(storeOption ?? target.LocalStore);
        using var progress = new SyncProgressLine(target.Server.Display);
        using var uploader = new OfflineUploader(fileStore, new MlflowRestClient(target.Server, MlflowRequestPolicy.Sync), progress.Log);
        using var stop = new CancellationTokenSource();
        if (deadline is { } limit) stop.CancelAfter(limit);
        var result = Task.Run(() => uploader.SyncAllAsync(experiment, stop.Token, progress.Report)).GetAwaiter().GetResult();
        progress.End();
        var total = result.RunsSynced + result.RunsFailed + result.RunsLeft;
        if (result.RunsLeft > 0)
        {
            Console.Error.WriteLine($"replab sync: deadline of {Duration.Text(deadline!.Value)} reached: {result.RunsSynced} of {total} runs synced, {result.MetricPointsSent} metric points sent " +
                                    $"to {target.Server.Display}; {result.RunsLeft} runs are not fully uploaded and stay in the local store {fileStore.Root}: run `replab sync` again");
            return 1;
        }
        Console.WriteLine($"checked {total} runs: uploaded {result.RunsUploaded} ({result.MetricPointsSent} new metric points), " +
                          $"{result.RunsSynced - result.RunsUploaded} already complete, to {target.Server.Display}" +
                          (result.RunsFailed > 0 ? $"; {result.RunsFailed} failed, run sync again" : ""));
        return result.RunsFailed > 0 ? 1 : 0;
    }

    /// <summary>
    /// replab sync's progress on stderr: rewritten in place on a terminal, else a line at most every
    /// 5 s. The uploader's own messages go through <see cref="Log"/>, which ends an open line first.
    /// </summary>
    private sealed class SyncProgressLine : TextWriter
    {
        private readonly string server;
        private readonly bool terminal = !Console.IsErrorRedirected;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly Lock gate = new();
        private TimeSpan? shownAt;
        private bool open;

        public SyncProgressLine(string server) => this.server = server;

        public override System.Text.Encoding Encoding => Console.Error.Encoding;

        /// <summary>Where the uploader reports failures, one line each.</summary>
        public TextWriter Log => this;

        public void Report(SyncProgress p)
        {
            lock (gate)
            {
                if (shownAt is { } last && clock.Elapsed - last < (terminal ? TimeSpan.FromSeconds(0.1) : TimeSpan.FromSeconds(5)) && p.RunsDone < p.RunsTotal) return;
                shownAt = clock.Elapsed;
                var line = $"replab sync: {p.RunsDone}/{p.RunsTotal} runs, {p.MetricPointsSent} metric points sent to {server}";
                if (terminal) Console.Error.Write("\r" + line + "\u001b[K");
                else Console.Error.WriteLine(line);
                open = terminal;
            }
        }

        /// <summary>Ends the progress line on a terminal, so what follows starts on its own.</summary>
        public void End()
        {
            lock (gate)
            {
                if (open) Console.Error.WriteLine();
                open = false;
            }
        }

        public override void Write(char value) => WriteLine(value.ToString());

        public override void WriteLine(string? value)
        {
            End();
            Console.Error.WriteLine(value);
        }
    }

    private static string StorePath(string? option)
    {
        if (option is not null) return option;
        return TrackingTarget.Parse(TrackingTarget.ResolveUri(null)).LocalStore;
    }

    private static void WriteTable(MlflowFileStore store, string? experiment)
    {
        var experiments = store.Experiments().ToDictionary(e => e.ExperimentId, e => e.Name);
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("experiment", "run", "id", "server run", "status", "started", "duration", "key params", "final metrics");
        foreach (var run in store.Runs(experiment))
        {
            var parameters = MlflowFileStore.ReadParams(run.Directory)
                .Where(p => p.Key.EndsWith("plugin", StringComparison.Ordinal) || p.Key == "seed")
                .Select(p => $"{p.Key}={p.Value}");
            var metrics = MlflowFileStore.MetricKeys(run.Directory)
                .Select(k => (k, points: ReadableMetric(run.Directory, k)))
                .Where(m => m.points.Count > 0)
                .Take(6)
                .Select(m => $"{m.k}={m.points[^1].Value.ToString("G4", CultureInfo.InvariantCulture)}");
            var start = DateTimeOffset.FromUnixTimeMilliseconds(run.StartTime);
            var duration = run.EndTime is { } end ? TimeSpan.FromMilliseconds(end - run.StartTime).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "";
            var status = run.Status switch
            {
                RunStatus.Finished => "[green]FINISHED[/]",
                RunStatus.Failed => "[red]FAILED[/]",
                RunStatus.Killed => "[yellow]KILLED[/]",
                _ => "[blue]RUNNING[/]",
            };
            table.AddRow(Markup.Escape(experiments.GetValueOrDefault(run.ExperimentId, run.ExperimentId)), Markup.Escape(run.RunName),
                run.RunId[..Math.Min(8, run.RunId.Length)], string.Join(' ', OfflineUploader.ServerRunIds(run.Directory).Select(id => id[..Math.Min(8, id.Length)])), status, start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), duration,
                Markup.Escape(string.Join(' ', parameters)), Markup.Escape(string.Join(' ', metrics)));
        }
        Terminal.Now().Write(table);
    }

    /// <summary>A metric's points, or none when its file is damaged (listed under the table instead).</summary>
    private static IReadOnlyList<MetricPoint> ReadableMetric(string runDir, string key)
    {
        try { return MlflowFileStore.ReadMetric(runDir, key); }
        catch (Exception e) when (e is InvalidDataException or FormatException or OverflowException) { return []; }
    }
}

/// <summary>Finds RUNNING runs whose writer process is gone (killed, crashed, machine rebooted) and marks them FAILED.</summary>
internal static class RunRepair
{
    public static IReadOnlyList<LocalRunInfo> Repair(MlflowFileStore store, string? experiment)
    {
        var repaired = new List<LocalRunInfo>();
        foreach (var run in store.Runs(experiment).Where(r => r.Status == RunStatus.Running))
        {
            if (IsAlive(run.Directory) is not false) continue;
            // The end is the last thing the run wrote, not the time of the repair.
            var last = Directory.EnumerateFiles(run.Directory, "*", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + MlflowFileStore.SidecarFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.UtcNow).Max();
            var updated = MlflowFileStore.SetStatus(run, RunStatus.Failed, Math.Max(run.StartTime, new DateTimeOffset(last).ToUnixTimeMilliseconds()));
            AtomicFile.Write(Path.Combine(run.Directory, "tags", TagNames.EndReason), "process gone (marked FAILED by replab runs --repair)");
            repaired.Add(updated);
        }
        return repaired;
    }

    /// <summary>True or false when this machine can tell; null for runs of other machines or without an owner record.</summary>
    internal static bool? IsAlive(string runDir)
    {
        var ownerFile = Path.Combine(runDir, MlflowFileStore.SidecarFolder, "owner");
        if (!File.Exists(ownerFile)) return null;
        var parts = File.ReadAllText(ownerFile).Trim().Split(' ');
        if (parts.Length < 3 || parts[1] != Environment.MachineName || !int.TryParse(parts[0], out var pid)) return null;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            // A reused pid belongs to a process that started at another time.
            var started = DateTime.Parse(parts[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            return Math.Abs((p.StartTime.ToUniversalTime() - started).TotalSeconds) < 2;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
