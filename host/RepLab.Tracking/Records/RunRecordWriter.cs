using System.Text.Json;

namespace RepLab.Tracking;

/// <summary>
/// The writer of <see cref="RunRecords.MetricsFile"/>: every event as one JSON object per line,
/// flushed per line, so a killed run keeps everything it logged. A new run starts the file
/// afresh; a resumed one appends, after dropping the metrics an interrupted attempt recorded at
/// or after the step it resumes from (<see cref="RunResumed"/>), so every step appears once.
/// </summary>
internal sealed class RunRecordWriter(string path, bool append = false) : ITracker
{
    private StreamWriter writer = Open(path, append);

    private static StreamWriter Open(string path, bool append) =>
        new(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public void Emit(TrackingEvent e)
    {
        if (e is RunResumed resumed) Supersede(resumed.Step);
        object line = e switch
        {
            MetricLogged m => new { time = m.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Metric, key = m.Key, value = m.Value, step = m.Step },
            RunStarted s => new { time = s.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Start, experiment = s.Experiment, run = s.RunName, hash = s.ConfigHash, resumed = s.Resumed },
            RunResumed r => new { time = r.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Resume, step = r.Step },
            SystemMetricsSampled m => new { time = m.Time.ToUnixTimeMilliseconds(), kind = RecordKind.SystemMetrics, step = m.Step, metrics = m.Metrics },
            TagSet t => new { time = t.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Tag, key = t.Key, value = t.Value },
            ArtifactLogged a => new { time = a.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Artifact, path = a.ArtifactPath },
            RunEnded r => new { time = r.Time.ToUnixTimeMilliseconds(), kind = RecordKind.End, status = r.Status.ToString(), reason = r.Reason },
            DatasetsLogged d => new { time = d.Time.ToUnixTimeMilliseconds(), kind = RecordKind.Dataset, datasets = d.Datasets.Select(Dataset) },
            _ => new { time = e.Time.ToUnixTimeMilliseconds(), kind = e.GetType().Name },
        };
        writer.WriteLine(JsonSerializer.Serialize(line, RunRecords.Json));
    }

    private static object Dataset(DatasetInput d) =>
        new { context = d.Context, name = d.Name, digest = d.Digest, source_type = d.SourceType, source = d.Source, schema = d.Schema, profile = d.Profile };

    /// <summary>Rewrites the file without metric records of <paramref name="step"/> or later (atomically), then appends again.</summary>
    private void Supersede(long step)
    {
        writer.Dispose();
        var kept = File.ReadLines(path).Where(line => !IsMetricFrom(line, step)).ToList();
        AtomicFile.Write(path, string.Concat(kept.Select(l => l + "\n")));
        writer = Open(path, append: true);
    }

    private static bool IsMetricFrom(string line, long step)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            return root.GetProperty("kind").GetString() == RecordKind.Metric && root.GetProperty("step").GetInt64() >= step;
        }
        catch (JsonException)
        {
            return true;  // a line cut short by a kill: dropped with the attempt it belonged to
        }
    }

    public void Dispose() => writer.Dispose();
}
