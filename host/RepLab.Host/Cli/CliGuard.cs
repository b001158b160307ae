using RepLab.Config;
using RepLab.Host.Run;
using RepLab.Tracking;

namespace RepLab.Host.Cli;

/// <summary>
/// The one error guard of every CLI command. What the user can fix exits 2 with the message alone:
/// a malformed experiment, a missing or damaged file, an impossible setting (an ArgumentException
/// RepLab or a plugin throws on purpose), a file-system problem (read-only, full, no permission). A
/// run or sweep folder in use exits 75 (EX_TEMPFAIL: busy, try later). A non-finite loss exits 1. Anything
/// else is a bug (an exception from inside .NET, a null argument): exit 1 with one line naming it and
/// where the trace is (the run's error.log, or --verbose).
/// </summary>
internal static class CliGuard
{
    public static int Run(bool verbose, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine(e.Message);
            if (verbose) Console.Error.WriteLine(e.StackTrace);
            return 2;
        }
        catch (RunFolderLockedException e)
        {
            // Nothing is wrong, only busy: a distinct code, so a sweep waits instead of calling the trial failed.
            Console.Error.WriteLine($"replab: {e.Message}");
            return FolderLock.HeldExitCode;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e) when (FileSystemAdvice(e) is { } advice)
        {
            Console.Error.WriteLine($"replab: {e.Message.TrimEnd('.')}: {advice}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e) when (SystemLibraries.Advice(e) is { } missing)
        {
            Console.Error.WriteLine($"replab: {missing}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e) when (e is NonFiniteLossException or RepLab.Host.Run.Distributed.RankFailedException)
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            var log = e.Data[RunSession.ErrorLogKey] as string;
            Console.Error.WriteLine($"replab: internal error: {e.GetType().Name}: {e.Message} " +
                                    (log is not null ? $"(the trace is in {log})" : verbose ? "" : "(run with --verbose for the trace)"));
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>
    /// What to do about a file-system problem the user can fix (.NET's message names the path), or
    /// null when <paramref name="e"/> is not one: a read-only file system, a full disk, a missing
    /// permission, a folder where a file belongs or the reverse.
    /// </summary>
    internal static string? FileSystemAdvice(Exception e) => e switch
    {
        UnauthorizedAccessException =>
            "permission denied, or a folder where a file belongs: make the path readable and writable for this user, or choose another folder (--runs-dir, --store, tracking.uri)",
        IOException { HResult: Errno.ReadOnly } =>
            "choose a writable folder (--runs-dir, --store, tracking.uri, or run the sweep from a writable folder)",
        IOException { HResult: Errno.NoSpace or Errno.QuotaExceeded } =>
            "no space left: free some (old runs, checkpoints) and go on with --resume",
        IOException { HResult: Errno.IsDirectory or Errno.NotDirectory } =>
            "a folder where a file belongs, or a file where a folder belongs: move it away",
        _ => null,
    };

    /// <summary>The errno values .NET gives as an IOException's HResult on Linux.</summary>
    private static class Errno
    {
        public const int NotDirectory = 20, IsDirectory = 21, NoSpace = 28, ReadOnly = 30, QuotaExceeded = 122;
    }

    /// <summary>
    /// Whether <paramref name="e"/> is the user's to fix. An ArgumentException counts only when code outside
    /// .NET threw it (RepLab's and plugins' checks of settings); one from inside the BCL, and any null
    /// argument, is a bug.
    /// </summary>
    internal static bool IsUserError(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UriFormatException or RepLab.Export.ExportNotSupportedException => true,
        ArgumentNullException => false,
        ArgumentException => e.TargetSite?.DeclaringType?.Namespace is { } ns && !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal),
        _ => false,
    };
}
