using RepLab.Config;
using RepLab.Host.Run;
using RepLab.Tracking;

namespace RepLab.Host.Cli;

/// <summary>
/// The one error guard of every CLI command. What the user can fix exits 2 with the message alone:
/// a malformed experiment, a missing or damaged file, an impossible setting (an ArgumentException
/// RepLab or a plugin throws on purpose), a run folder in use. A non-finite loss exits 1. Anything
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
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (NonFiniteLossException e)
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
    /// Whether <paramref name="e"/> is the user's to fix. An ArgumentException counts only when code outside
    /// .NET threw it (RepLab's and plugins' checks of settings); one from inside the BCL, and any null
    /// argument, is a bug.
    /// </summary>
    internal static bool IsUserError(Exception e) => e switch
    {
        RunFolderLockedException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UriFormatException => true,
        ArgumentNullException => false,
        ArgumentException => e.TargetSite?.DeclaringType?.Namespace is { } ns && !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal),
        _ => false,
    };
}
