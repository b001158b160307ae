using RepLab.Abstractions;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// A trial's folder held for one run (its records and layout are <see cref="RunRecords"/>'). The same
/// experiment always gets the same folder, so <c>--resume</c> finds its checkpoint; without it, an
/// old checkpoint is removed first. One run at a time holds the folder: an exclusive lock on
/// <c>run.lock</c>, which the kernel releases when the holder dies (a killed run leaves no stale
/// lock), with the holder's pid and host in <c>run.lock.owner</c> for the message a second run gets.
/// </summary>
internal sealed class RunFolder : IDisposable
{
    private readonly FileStream? lockStream;

    private RunFolder(RunRecords records, FileStream? lockStream) => (Records, this.lockStream) = (records, lockStream);

    /// <summary>The folder's records and layout.</summary>
    public RunRecords Records { get; }

    /// <summary>Whether the run continues from a checkpoint that is there.</summary>
    public bool Resumed { get; private set; }

    /// <summary>Whether the folder holds a run of this config that finished (left untouched; the caller reports it).</summary>
    public bool AlreadyFinished { get; private set; }

    /// <summary>Locks and prepares the folder of <paramref name="records"/> and writes <paramref name="configYaml"/>, the resolved config.</summary>
    /// <exception cref="RunFolderLockedException">Another run holds the folder.</exception>
    public static RunFolder Prepare(RunRecords records, string configYaml, bool resume, bool fresh = true)
    {
        Directory.CreateDirectory(records.Folder);
        var folder = new RunFolder(records, Lock(records));
        try
        {
            File.WriteAllText(records.LockOwnerFile, $"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:u}");
            if (!resume && !fresh && records.Read().Ended == RunStatus.Finished)
            {
                folder.AlreadyFinished = true;
                return folder;
            }
            // A checkpoint path that is a folder or a pipe is refused here, before it could block or be written over.
            if (resume && DataFile.KindOf(records.Checkpoint) is not DataFile.Kind.Missing) DataFile.RequireRegular(records.Checkpoint, "checkpoint");
            folder.Resumed = resume && File.Exists(records.Checkpoint);
            var checkpoints = System.IO.Path.GetDirectoryName(records.Checkpoint)!;
            if (!resume && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
            Directory.CreateDirectory(checkpoints);
            var removed = RemoveLeftovers(records.Folder);
            if (removed > 0) Console.WriteLine($"replab: removed {removed} temporary file{(removed == 1 ? "" : "s")} left by an interrupted write in {records.Folder}");
            File.WriteAllText(records.ConfigFile, configYaml);
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The folder as a rank other than 0 of a data-parallel run sees it: rank 0 holds it and writes it; this
    /// rank only reads the checkpoint when <paramref name="resumed"/>. No lock, nothing written.
    /// </summary>
    public static RunFolder Follow(RunRecords records, bool resumed) => new(records, null) { Resumed = resumed };

    /// <summary>
    /// Deletes what a killed atomic write leaves behind in a run folder (safe only under the run's
    /// lock): the <c>.NAME.PID.GUID.tmp</c> temporaries of <see cref="AtomicFile"/> and of checkpoints.
    /// The completed files they would have replaced are untouched. Returns how many were removed.
    /// </summary>
    private static int RemoveLeftovers(string path)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(path, "*.tmp", SearchOption.AllDirectories))
        {
            if (!AtomicFile.IsTemporary(System.IO.Path.GetFileName(file))) continue;
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    private static FileStream Lock(RunRecords records) => FolderLock.Exclusive(records.LockFile, () =>
    {
        var who = File.Exists(records.LockOwnerFile) ? File.ReadAllText(records.LockOwnerFile).Trim() : "another process";
        return $"{records.Folder} is in use by another replab run ({who}): wait for it to finish or stop it " +
               "(a second run of the same experiment would mix its records and checkpoints into the first's)";
    });

    public void Dispose()
    {
        if (lockStream is null) return;
        try { File.Delete(Records.LockOwnerFile); }
        catch (IOException) { /* the lock below is what matters */ }
        lockStream.Dispose();
    }
}
