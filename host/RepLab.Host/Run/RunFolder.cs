using System.Text.RegularExpressions;

namespace RepLab.Host.Run;

/// <summary>Another process holds the run folder: the run is refused (exit 2) before it touches anything.</summary>
public sealed class RunFolderLockedException(string message) : Exception(message);

/// <summary>
/// A trial's folder, <c>runs/NAME/CONFIGHASH</c>: the resolved config, the metrics log, the
/// checkpoint and the artifacts. The same experiment always gets the same folder, so
/// <c>--resume</c> finds its checkpoint; without it, an old checkpoint is removed first. One run
/// at a time holds the folder: an exclusive lock on <c>run.lock</c>, which the kernel releases
/// when the holder dies (a killed run leaves no stale lock), with the holder's pid and host in
/// <c>run.lock.owner</c> for the message a second run gets.
/// </summary>
internal sealed partial class RunFolder : IDisposable
{
    private readonly FileStream lockStream;

    private RunFolder(string path, FileStream lockStream) => (Path, this.lockStream) = (path, lockStream);

    public string Path { get; }

    public string Checkpoint => System.IO.Path.Combine(Path, "checkpoints", "last.safetensors");

    public string Artifacts => System.IO.Path.Combine(Path, "artifacts");

    public string ConfigFile => System.IO.Path.Combine(Path, "config.yaml");

    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    public string EvaluationFile => System.IO.Path.Combine(Path, "evaluation.json");

    private string OwnerFile => System.IO.Path.Combine(Path, "run.lock.owner");

    /// <summary>Whether the run continues from a checkpoint that is there.</summary>
    public bool Resumed { get; private set; }

    /// <summary>Whether the folder holds a run of this config that finished (left untouched; the caller reports it).</summary>
    public bool AlreadyFinished { get; private set; }

    /// <summary>Whether metrics.jsonl says the run ended FINISHED (read as a sweep reads its trials).</summary>
    private bool EndedFinished() => Sweeps.TrialStatus.Read(Path).Outcome == Sweeps.TrialOutcome.Finished;

    /// <summary>The folder of the run of config hash <paramref name="shortHash"/> of experiment <paramref name="name"/>: <c>RUNS/NAME/HASH</c>.</summary>
    public static string PathFor(string runsRoot, string name, string shortHash) =>
        System.IO.Path.Combine(System.IO.Path.GetFullPath(runsRoot), SafeName(name), shortHash);

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex Unsafe();

    /// <summary>
    /// <paramref name="name"/> as one folder name: characters other than letters, digits, '.', '_'
    /// and '-' become '_', and leading dots are dropped, so no name reaches outside the runs folder.
    /// </summary>
    public static string SafeName(string name)
    {
        var safe = Unsafe().Replace(name, "_").TrimStart('.');
        return safe.Length == 0 ? "experiment" : safe;
    }

    /// <summary>Locks and prepares <paramref name="spec"/>'s folder under <paramref name="runsRoot"/> and writes its resolved config.</summary>
    /// <exception cref="RunFolderLockedException">Another run holds the folder.</exception>
    public static RunFolder Prepare(ExperimentSpec spec, string runsRoot, bool resume, bool fresh = true)
    {
        var path = PathFor(runsRoot, spec.Name, spec.Config.ShortHash());
        Directory.CreateDirectory(path);
        var folder = new RunFolder(path, Lock(path));
        try
        {
            File.WriteAllText(folder.OwnerFile, $"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:u}");
            if (!resume && !fresh && folder.EndedFinished())
            {
                folder.AlreadyFinished = true;
                return folder;
            }
            folder.Resumed = resume && File.Exists(folder.Checkpoint);
            var checkpoints = System.IO.Path.GetDirectoryName(folder.Checkpoint)!;
            if (!resume && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
            Directory.CreateDirectory(checkpoints);
            var removed = RemoveLeftovers(path);
            if (removed > 0) Console.WriteLine($"replab: removed {removed} temporary file{(removed == 1 ? "" : "s")} left by an interrupted write in {path}");
            File.WriteAllText(folder.ConfigFile, spec.Config.ToYaml());
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Deletes what a killed atomic write leaves behind in a run folder (safe only under the run's
    /// lock): the <c>.NAME.PID.GUID.tmp</c> temporaries of <see cref="AtomicFile"/> and of checkpoints.
    /// The completed files they would have replaced are untouched. Returns how many were removed.
    /// </summary>
    public static int RemoveLeftovers(string path)
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

    private static FileStream Lock(string path) => Exclusive(System.IO.Path.Combine(path, "run.lock"), () =>
    {
        var owner = System.IO.Path.Combine(path, "run.lock.owner");
        var who = File.Exists(owner) ? File.ReadAllText(owner).Trim() : "another process";
        return $"{path} is in use by another replab run ({who}): wait for it to finish or stop it " +
               "(a second run of the same experiment would mix its records and checkpoints into the first's)";
    });

    /// <summary>
    /// An exclusive lock on <paramref name="lockFile"/> (a flock through FileShare.None), held until disposed or the
    /// process ends, so a killed holder leaves no stale lock; when it is held, the refusal says <paramref name="held"/>().
    /// </summary>
    /// <exception cref="RunFolderLockedException">Another process holds it.</exception>
    internal static FileStream Exclusive(string lockFile, Func<string> held)
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

    public void Dispose()
    {
        try { File.Delete(OwnerFile); }
        catch (IOException) { /* the lock below is what matters */ }
        lockStream.Dispose();
    }
}
