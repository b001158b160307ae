using System.CommandLine;
using RepLab.Host.Cli;

namespace RepLab.Host;

/// <summary>
/// The replab CLI: wires the commands of <see cref="Cli"/>. Exit codes: 0 success, 2 bad input (a
/// message naming file, line and key), 1 failure. <c>--verbose</c> adds stack traces.
/// </summary>
public static class Program
{
    /// <summary>The command line of the <see cref="Main"/> call under way on this thread (a run's local ranks are started with it).</summary>
    [ThreadStatic]
    internal static string[]? Arguments;

    public static int Main(string[] args)
    {
        Arguments = args;
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of errors" };
        var root = new RootCommand("RepLab: unsupervised representation learning experiments") { verbose };
        foreach (var command in ExperimentCommands.Create(verbose).Concat(SweepCommands.Create(verbose)).Concat(TrackingCommands.Create(verbose)))
            root.Subcommands.Add(command);
        return root.Parse(args).Invoke();
    }
}
