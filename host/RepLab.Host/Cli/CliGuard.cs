using RepLab.Host.Config;
using RepLab.Host.Run;

namespace RepLab.Host.Cli;

/// <summary>
/// The one error guard of every CLI command: what the user can fix (a malformed experiment, a
/// missing or damaged file, an impossible setting, a run folder in use) exits 2 with the message
/// alone; a non-finite loss exits 1; anything else exits 1 with its type, the trace with --verbose.
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
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or UriFormatException)
        {
            // Missing or malformed data files and impossible settings are the user's to fix.
            Console.Error.WriteLine($"replab: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (RunFolderLockedException e)
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            return 2;
        }
        catch (NonFiniteLossException e)
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"replab: {e.GetType().Name}: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }
}
