using System.Globalization;

namespace RepLab.Tracking;

/// <summary>A damaged file of the local store: where, what is wrong, and whether <c>replab runs --repair</c> can fix it.</summary>
public sealed record StoreDamage(string File, string Problem, bool Repairable);

/// <summary>
/// Finds what a crash, a full disk or a hand edit broke in a local MLflow store, instead of letting
/// the lenient readers drop it silently: experiments and runs whose <c>meta.yaml</c> is missing,
/// empty or garbage, and metric files with unreadable lines. Repairs rebuild a run's meta.yaml from
/// its folder (id, experiment, name and user from its tags, times from its files, status FAILED),
/// give an experiment without meta a <c>recovered-ID</c> name, and rewrite a metric file without its
/// unreadable lines (the rest is kept as it was, and nothing else is touched).
/// </summary>
public static class StoreDoctor
{
    private static readonly string[] RunParts = ["metrics", "params", "tags", "artifacts"];

    /// <summary>Everything damaged in <paramref name="store"/>.</summary>
    public static IReadOnlyList<StoreDamage> Examine(MlflowFileStore store) => Walk(store, repair: false);

    /// <summary>Repairs what can be repaired; returns what was damaged (the repaired ones first as they were found).</summary>
    public static IReadOnlyList<StoreDamage> Repair(MlflowFileStore store) => Walk(store, repair: true);

    private static List<StoreDamage> Walk(MlflowFileStore store, bool repair)
    {
        var found = new List<StoreDamage>();
        foreach (var experiment in Directory.EnumerateDirectories(store.Root))
        {
            var id = Path.GetFileName(experiment);
            if (id.StartsWith('.')) continue;
            var runDirs = Directory.EnumerateDirectories(experiment).Where(IsRunFolder).ToList();
            var meta = Path.Combine(experiment, "meta.yaml");
            if (!MlflowFileStore.IsReadableMeta(meta))
            {
                if (runDirs.Count == 0 && !File.Exists(meta)) continue; // not an experiment folder
                found.Add(new StoreDamage(meta, File.Exists(meta) ? "unreadable experiment meta.yaml: its runs are hidden" : "experiment without meta.yaml: its runs are hidden", true));
                if (repair) store.WriteExperiment(id, $"recovered-{id}");
            }
            foreach (var run in runDirs) found.AddRange(ExamineRun(run, id, repair));
        }
        return found;
    }

    /// <summary>MLflow's reserved folders of an experiment (its datasets, its tags): never runs, left alone.</summary>
    private static readonly string[] ExperimentParts = [MlflowFileStore.DatasetsFolder, "tags"];

    private static bool IsRunFolder(string dir) =>
        !ExperimentParts.Contains(Path.GetFileName(dir))
        && (File.Exists(Path.Combine(dir, "meta.yaml")) || RunParts.Any(p => Directory.Exists(Path.Combine(dir, p))));

    private static IEnumerable<StoreDamage> ExamineRun(string run, string experimentId, bool repair)
    {
        var meta = Path.Combine(run, "meta.yaml");
        var info = MlflowFileStore.TryReadRunInfo(run);
        if (info is null)
        {
            yield return new StoreDamage(meta, File.Exists(meta) ? "unreadable run meta.yaml: the run is hidden" : "run without meta.yaml: the run is hidden", true);
            if (repair) info = RebuildMeta(run, experimentId);
        }
        var metrics = Path.Combine(run, "metrics");
        if (!Directory.Exists(metrics)) yield break;
        foreach (var file in Directory.EnumerateFiles(metrics, "*", SearchOption.AllDirectories))
        {
            if (AtomicFile.IsTemporary(Path.GetFileName(file))) continue;
            var text = File.ReadAllText(file);
            var lines = text.Split('\n');
            // The last element is what follows the last newline: empty, or a line being written (a live run) or cut.
            var complete = lines[..^1];
            var bad = complete.Select((l, i) => (l, i)).Where(x => !IsPoint(x.l)).ToList();
            var cut = lines[^1].Length > 0 && info?.Status != RunStatus.Running;
            if (bad.Count == 0 && !cut) continue;
            var what = string.Join("; ", bad.Take(3).Select(b => $"line {b.i + 1} '{Short(b.l)}' is not a metric point")
                .Concat(cut ? [$"the last line '{Short(lines[^1])}' was cut short"] : []));
            yield return new StoreDamage(file, what + (bad.Count > 3 ? $" (and {bad.Count - 3} more)" : ""), true);
            if (repair)
                AtomicFile.Write(file, string.Concat(complete.Where(IsPoint).Select(l => l + "\n")));
        }
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>A line MLflow reads as a point: timestamp, value (Python's nan/inf spellings too) and an optional step.</summary>
    private static bool IsPoint(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length is 2 or 3
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            && (parts[1] is "nan" or "inf" or "-inf" || double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            && (parts.Length == 2 || long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
    }

    /// <summary>A run's meta.yaml rebuilt from its folder: what its tags say, its files' times, status FAILED.</summary>
    private static LocalRunInfo RebuildMeta(string run, string experimentId)
    {
        var tags = MlflowFileStore.ReadTags(run);
        var times = Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.UtcNow).ToList();
        static long Ms(DateTime t) => new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var info = new LocalRunInfo(Path.GetFileName(run), experimentId, tags.GetValueOrDefault("mlflow.runName", Path.GetFileName(run)),
            tags.GetValueOrDefault("mlflow.user", ""), Ms(times.Min()), Ms(times.Max()), RunStatus.Failed, "active",
            new Uri(Path.Combine(Path.GetFullPath(run), "artifacts")).AbsoluteUri, Path.GetFullPath(run));
        MlflowFileStore.WriteRunMeta(info);
        AtomicFile.Write(Path.Combine(run, "tags", TagNames.EndReason), "meta.yaml was damaged; rebuilt by replab runs --repair");
        return info;
    }
}
