namespace RepLab.Host.Run;

/// <summary>
/// Whole-file writes that a crash or kill never leaves half done: the bytes go to
/// <c>.NAME.PID.GUID.tmp</c> beside the target, are flushed to disk, then renamed over it (the
/// temporaries a kill leaves are what <see cref="RunFolder.RemoveLeftovers"/> clears).
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
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
}
