using System.Text.RegularExpressions;
using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary>The console to write tables and markup to.</summary>
internal static partial class Terminal
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

    /// <summary>Columns of text meant to be read (a listing, not rows for grep) when the output is a file, a pipe or a pager.</summary>
    public const int RedirectedReadingWidth = 100;

    /// <summary>
    /// Writes what <paramref name="write"/> renders for reading: at the terminal's width with its colours, or at
    /// <see cref="RedirectedReadingWidth"/> columns without colours when the output is redirected; either way with no
    /// trailing spaces on a line (Spectre pads every table cell to its column's width).
    /// </summary>
    public static void WriteForReading(Action<IAnsiConsole> write)
    {
        var terminal = Now().Profile;
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = terminal.Capabilities.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = (ColorSystemSupport)terminal.Capabilities.ColorSystem,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = Console.IsOutputRedirected ? RedirectedReadingWidth : terminal.Width;
        write(console);
        Console.Out.Write(TrailingSpaces().Replace(text.ToString(), ""));
    }

    /// <summary>Spaces at the end of a line, among the colour codes that may close it.</summary>
    [GeneratedRegex(@"[ \t]+(?=(\x1b\[[0-9;]*m|[ \t])*\r?$)", RegexOptions.Multiline)]
    private static partial Regex TrailingSpaces();
}
