namespace RepLab.Tracking;

/// <summary>
/// The host's one way to write a whole file that a crash or kill never leaves half done (run
/// folders and the MLflow store alike): the bytes go to <c>.NAME.PID.GUID.tmp</c> beside the
/// target, are flushed to disk, then renamed over it. Readers skip <see cref="IsTemporary"/>
/// names; a run's next start, or the store run's reopening, deletes the ones a kill left.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var tmp = TemporaryFor(path);
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(content);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    public static void Write(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Copies <paramref name="source"/> to <paramref name="path"/>: a reader (the uploader) never sees half a copy.</summary>
    public static void Copy(string source, string path)
    {
        var tmp = TemporaryFor(path);
        try
        {
            File.Copy(source, tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is one of these temporaries.</summary>
    public static bool IsTemporary(string fileName) =>
        fileName.StartsWith('.') && fileName.EndsWith(".tmp", StringComparison.Ordinal);

    private static string TemporaryFor(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }
}
