namespace RepLab.Tracking;

/// <summary>Another process holds a run's or a sweep's folder: refused (exit 75, <see cref="FolderLock.HeldExitCode"/>) before anything is touched.</summary>
public sealed class RunFolderLockedException(string message) : Exception(message);

/// <summary>The one exclusive-lock helper for run folders (<c>run.lock</c>) and sweep folders (<c>sweep.lock</c>).</summary>
public static class FolderLock
{
    /// <summary>
    /// Whether <paramref name="e"/> says another process holds the lock: EWOULDBLOCK from flock on Linux, the sharing
    /// violation elsewhere. Any other IOException (a read-only file system, a full disk) is the file system's, reported as such.
    /// </summary>
    private static bool HeldByAnother(IOException e) => e.GetType() == typeof(IOException) && e.HResult is 11 or unchecked((int)0x80070020);

    /// <summary>The exit code of a command refused because another process holds the folder it needs (EX_TEMPFAIL: try again later).</summary>
    public const int HeldExitCode = 75;

    /// <summary>Whether a live process holds <paramref name="lockFile"/> now (false when there is no such file: nobody ever held it).</summary>
    public static bool IsHeld(string lockFile)
    {
        if (!File.Exists(lockFile)) return false;
        try
        {
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException e) when (HeldByAnother(e))
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;  // gone since, or unreadable: nobody's lock we can see
        }
    }

    /// <summary>
    /// An exclusive lock on <paramref name="lockFile"/> (a flock through FileShare.None), held until disposed or the
    /// process ends, so a killed holder leaves no stale lock; when it is held, the refusal says <paramref name="held"/>().
    /// </summary>
    /// <exception cref="RunFolderLockedException">Another process holds it.</exception>
    public static FileStream Exclusive(string lockFile, Func<string> held)
    {
        try
        {
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (HeldByAnother(e))
        {
            throw new RunFolderLockedException(held());
        }
    }
}
