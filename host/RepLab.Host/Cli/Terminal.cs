using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary>The console to write tables and markup to.</summary>
internal static class Terminal
{
    /// <summary>
    /// A console bound to <see cref="Console.Out"/> now (not when AnsiConsole was first used), so
    /// redirections apply; without colours and wide when redirected, so that <c>replab runs | grep</c>
    /// sees one line per row.
    /// </summary>
    public static IAnsiConsole Now()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (Console.IsOutputRedirected) console.Profile.Width = 250;
        return console;
    }
}
