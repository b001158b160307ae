using System.Text.Json;
using RepLab.Abstractions;

namespace RepLab.Host.Run;

/// <summary>
/// Appends every event as one JSON object per line to <c>metrics.jsonl</c> in the run folder,
/// flushed per line, so a killed run keeps everything it logged.
/// </summary>
public sealed class JsonLinesTracker(string path) : ITracker
{
    private readonly StreamWriter writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public void Emit(TrackingEvent e)
    {
        object line = e switch
        {
            MetricLogged m => new { time = m.Time.ToUnixTimeMilliseconds(), kind = "metric", key = m.Key, value = m.Value, step = m.Step },
            RunStarted s => new { time = s.Time.ToUnixTimeMilliseconds(), kind = "start", experiment = s.Experiment, run = s.RunName, hash = s.ConfigHash, resumed = s.Resumed },
            TagSet t => new { time = t.Time.ToUnixTimeMilliseconds(), kind = "tag", key = t.Key, value = t.Value },
            ArtifactLogged a => new { time = a.Time.ToUnixTimeMilliseconds(), kind = "artifact", path = a.ArtifactPath },
            RunEnded r => new { time = r.Time.ToUnixTimeMilliseconds(), kind = "end", status = r.Status.ToString(), reason = r.Reason },
            _ => new { time = e.Time.ToUnixTimeMilliseconds(), kind = e.GetType().Name },
        };
        writer.WriteLine(JsonSerializer.Serialize(line));
    }

    public void Dispose() => writer.Dispose();
}
