using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RepLab.Abstractions;
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

        var sync = new Command("sync", "Upload local runs the tracking server does not have yet (idempotent)") { to, experiment, store };
        sync.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var uri = r.GetValue(to) ?? TrackingTarget.ResolveUri(null);
            var target = TrackingTarget.Parse(uri);
            if (target.Server is null)
            {
                Console.Error.WriteLine("replab sync: no tracking server: pass --to http(s)://host:port or set MLFLOW_TRACKING_URI");
                return 2;
            }
            var fileStore = new MlflowFileStore(r.GetValue(store) ?? target.LocalStore);
            using var uploader = new OfflineUploader(fileStore, new MlflowRestClient(target.Server));
            var result = Task.Run(() => uploader.SyncAllAsync(r.GetValue(experiment))).GetAwaiter().GetResult();
            Console.WriteLine($"checked {result.RunsSynced + result.RunsFailed} runs: uploaded {result.RunsUploaded} ({result.MetricPointsSent} new metric points), " +
                              $"{result.RunsSynced - result.RunsUploaded} already complete, to {target.Server.Display}" +
                              (result.RunsFailed > 0 ? $"; {result.RunsFailed} failed, run sync again" : ""));
            return result.RunsFailed > 0 ? 1 : 0;
        }));

        return [runs, sync];
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
