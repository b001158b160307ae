using System.CommandLine;
using System.Diagnostics;
using RepLab.Host.Conformance;
using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary>
/// <c>replab check FOLDER</c>: the conformance checks (<see cref="PluginChecks"/>) of every plugin in a
/// plugin folder, as a table. Exit 0 when all pass, 1 when a check fails or an assembly there does not
/// load, 2 when the folder does not exist or holds no plugin.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var folder = new Argument<string>("folder") { Description = "A plugin's build output folder (X.dll with X.deps.json), or a folder of them" };
        var limit = new Option<int>("--time-limit") { Description = "Seconds one check may run before it fails as hung (default 120)", DefaultValueFactory = _ => 120 };
        var check = new Command("check", "Run the conformance checks on every plugin in a folder (the built-in plugins serve the exercises)") { folder, limit };
        check.SetAction(r => CliGuard.Run(r.GetValue(verbose), () => Run(Path.GetFullPath(r.GetValue(folder)!), TimeSpan.FromSeconds(Math.Max(1, r.GetValue(limit))))));
        return check;
    }

    private static int Run(string folder, TimeSpan timeLimit)
    {
        if (!Directory.Exists(folder))
        {
            Console.Error.WriteLine($"replab: plugin folder not found: {folder}");
            return 2;
        }
        using var checks = new PluginChecks { TimeLimit = timeLimit };
        var cases = checks.Cases(folder);
        // Build mistakes the loader noticed (a class without [Plugin], a private copy of the SDK) are said either way.
        foreach (var note in checks.NotesIn(folder)) Console.Error.WriteLine($"replab: note: {note.Path} {note.Message}");
        if (cases.Count == 0)
        {
            Console.Error.WriteLine($"replab: no plugin found in {folder}: a plugin folder holds a plugin's build output (X.dll with X.deps.json beside it)");
            return 2;
        }
        var results = WithProgress(cases, checks.Run);
        // One row per line when redirected (Terminal.Now): `replab check X | grep FAIL` shows the failures.
        Write(Terminal.Now(), folder, results);
        return results.All(x => x.Passed) ? 0 : 1;
    }

    /// <summary>Runs every case: with a live bar at a terminal, otherwise a line on stderr at most every 10 s.</summary>
    private static List<ConformanceResult> WithProgress(IReadOnlyList<ConformanceCase> cases, Func<string, string, ConformanceResult> run)
    {
        var results = new List<ConformanceResult>();
        if (Console.IsOutputRedirected || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            var clock = Stopwatch.StartNew();
            var last = TimeSpan.Zero;
            foreach (var c in cases)
            {
                if (clock.Elapsed - last > TimeSpan.FromSeconds(10))
                {
                    last = clock.Elapsed;
                    Console.Error.WriteLine($"replab check: {results.Count}/{cases.Count} done, now {c}");
                }
                results.Add(run(c.Plugin, c.Check));
            }
            return results;
        }
        AnsiConsole.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("checking", maxValue: cases.Count);
                foreach (var c in cases)
                {
                    task.Description = Markup.Escape($"{c.Plugin}: {c.Check}");
                    results.Add(run(c.Plugin, c.Check));
                    task.Increment(1);
                }
            });
        return results;
    }

    private static void Write(IAnsiConsole console, string folder, IReadOnlyList<ConformanceResult> results)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("plugin", "check", "result", "reason", "time");
        foreach (var x in results)
            table.AddRow(Markup.Escape(x.Plugin), Markup.Escape(x.Check), x.Passed ? "[green]pass[/]" : "[red]FAIL[/]",
                Markup.Escape(x.Reason ?? ""), $"{x.Duration.TotalSeconds:F1} s");
        console.Write(table);
        var failed = results.Count(x => !x.Passed);
        var count = results.Select(x => x.Plugin).Distinct().Count();
        var plugins = count == 1 ? "1 plugin" : $"{count} plugins";
        console.MarkupLine(failed == 0
            ? $"[green]{results.Count} checks of {plugins} in {Markup.Escape(folder)} passed[/]"
            : $"[red]{failed} of {results.Count} checks failed[/] ({plugins} in {Markup.Escape(folder)})");
    }
}
