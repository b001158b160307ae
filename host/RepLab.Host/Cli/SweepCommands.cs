using System.CommandLine;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Host.Plugins;
using RepLab.Sweeps;
using RepLab.Tracking;
using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary><c>replab sweep</c> and <c>replab report</c>.</summary>
internal static class SweepCommands
{
    public static IEnumerable<Command> Create(Option<bool> verbose)
    {
        var file = new Argument<FileInfo>("experiment") { Description = "Experiment YAML file with a sweep: section" };
        var overrides = new Argument<string[]>("overrides") { Description = "a.b=value overrides applied to every trial", Arity = ArgumentArity.ZeroOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "List every trial with its overrides, hash and what a sweep would do with it; run nothing" };
        var executor = new Option<string?>("--executor") { Description = "How trials run: local or slurm (default: sweep.executor, else local)" };
        var parallel = new Option<int>("--parallel") { Description = "Trials at once (default: the executor's option; local: 1)" };
        var retry = new Option<bool>("--retry-failed") { Description = "Run failed trials again, from scratch" };
        var runsDir = new Option<string>("--runs-dir") { Description = "Folder of run folders (default: runs)", DefaultValueFactory = _ => "runs" };
        var sweep = new Command("sweep", "Run every trial of an experiment's sweep: section (grid, random, seeds), skipping finished ones") { file, overrides, dryRun, executor, parallel, retry, runsDir };
        sweep.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var path = r.GetValue(file)!.FullName;
            var loaded = ExperimentLoader.Load(path, r.GetValue(overrides) ?? []);
            using var registry = PluginRegistry.Load(quiet: true, ExperimentSpec.PluginFolders(loaded));
            var host = new SweepHost(registry);
            var plan = SweepPlan.Build(path, r.GetValue(overrides) ?? [], host, r.GetValue(runsDir)!);
            var request = new SweepRequest(r.GetValue(executor), r.GetValue(parallel), r.GetValue(retry), r.GetValue(runsDir)!);
            var runner = new SweepRunner(plan, host, request);
            if (!r.GetValue(dryRun)) return runner.Run();
            var (executorName, _) = host.Executor(plan.Definition.Executor, request.Executor);
            var decisions = runner.Decide(SweepState.Load(plan.Folder));
            var console = Terminal.Now();
            var table = new Table().Border(TableBorder.Simple).AddColumns("#", "hash", "overrides", "state", "would");
            foreach (var (t, s, _, action) in decisions)
                table.AddRow(t.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Id, Markup.Escape(string.Join(" ", t.Point.Assignments)),
                    s.Outcome.Words(), Markup.Escape(action));
            console.Write(table);
            Console.WriteLine($"{plan.Definition.Name}: {plan.Trials.Count} trials, all valid" +
                              (plan.Definition.Excluded > 0 ? $" ({plan.Definition.Excluded} excluded by rules)" : "") +
                              $"; {decisions.Count(d => d.Action != TrialAction.Skip)} to run with executor {executorName}; sweep folder {plan.Folder}");
            return 0;
        }));

        var which = new Argument<string>("sweep") { Description = "The sweep's name, its folder, or its experiment file" };
        var metric = new Option<string?>("--metric") { Description = "Sort by this metric (default: sweep.metric, else eval/linear-probe/top1)" };
        var report = new Command("report", "Write a sweep's report (Markdown, CSV, HTML with SVG charts) to its folder and its parent run, and print the table") { which, metric, runsDir };
        report.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var folder = Locate(r.GetValue(which)!, r.GetValue(runsDir)!);
            var state = SweepState.Load(folder) ?? throw new FileNotFoundException($"{folder} holds no sweep.json: run the sweep first");
            var loaded = ExperimentLoader.Load(state.File, state.Overrides);
            using var registry = PluginRegistry.Load(quiet: true, ExperimentSpec.PluginFolders(loaded));
            var plan = SweepPlan.Build(state.File, state.Overrides, new SweepHost(registry), state.RunsDir);
            var built = SweepReport.Build(plan, state, r.GetValue(metric) ?? plan.Definition.Metric ?? SweepRunner.DefaultMetric);
            var written = built.Write(folder);
            var logged = SweepRunner.LogToParent(plan, state, written);
            Console.Write(built.Markdown());
            Console.WriteLine($"wrote {string.Join(", ", written.Select(Path.GetFileName))} in {folder}" + (logged ? " and to the sweep's parent run" : ""));
            return 0;
        }));
        return [sweep, report];
    }

    /// <summary>A sweep's folder from its name, folder or experiment file.</summary>
    private static string Locate(string which, string runsRoot)
    {
        if (Directory.Exists(which) && File.Exists(SweepState.PathIn(which))) return Path.GetFullPath(which);
        var byName = Path.Combine(SweepPlan.SweepsFolder(runsRoot), RunRecords.SafeName(which));
        if (File.Exists(SweepState.PathIn(byName))) return byName;
        if (File.Exists(which))
        {
            var config = ExperimentLoader.Load(Path.GetFullPath(which), []);
            var name = SweepDefinition.Parse(config, Path.GetFullPath(which)).Name;
            return Path.Combine(SweepPlan.SweepsFolder(runsRoot), RunRecords.SafeName(name));
        }
        var known = Directory.Exists(SweepPlan.SweepsFolder(runsRoot)) ? Directory.GetDirectories(SweepPlan.SweepsFolder(runsRoot)).Select(Path.GetFileName).OfType<string>().ToList() : [];
        throw new DirectoryNotFoundException($"no sweep '{which}' under {SweepPlan.SweepsFolder(runsRoot)}{DidYouMean.Hint(which, known)}; sweeps there: {(known.Count == 0 ? "none" : string.Join(", ", known))}");
    }
}
