namespace RepLab.Tracking;

/// <summary>Another process holds a run's or a sweep's folder: refused (exit 2) before anything is touched.</summary>
public sealed class RunFolderLockedException(string message) : Exception(message);

/// <summary>The one exclusive-lock helper for run folders (<c>run.lock</c>) and sweep folders (<c>sweep.lock</c>).</summary>
public static class FolderLock
{
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
        catch (IOException)
        {
            throw new RunFolderLockedException(held());
        }
    }
}
