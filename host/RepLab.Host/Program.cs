using System.CommandLine;
using RepLab.Abstractions;
using RepLab.Host.Config;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using Spectre.Console;

namespace RepLab.Host;

/// <summary>
/// The replab CLI. Exit codes: 0 success, 2 bad input (a message naming file, line and key),
/// 1 failure. <c>--verbose</c> adds stack traces.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of errors" };
        var file = new Argument<FileInfo>("experiment") { Description = "Experiment YAML file" };
        var overrides = new Argument<string[]>("overrides") { Description = "a.b=value, +a.new=value or ~a.b", Arity = ArgumentArity.ZeroOrMore };

        var root = new RootCommand("RepLab: unsupervised representation learning experiments") { verbose };

        var config = new Command("config", "Print the resolved experiment (defaults, overrides and interpolation applied) and its hash") { file, overrides };
        config.SetAction(r => Cli.CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            Console.Write(resolved.ToYaml());
            Console.WriteLine($"# config hash: {resolved.Hash()}");
            return 0;
        }));

        var validate = new Command("validate", "Check an experiment: composition, plugin names and every option") { file, overrides };
        validate.SetAction(r => Cli.CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            using var registry = LoadPlugins(quiet: true, ExperimentSpec.PluginFolders(resolved));
            var spec = ExperimentSpec.Bind(resolved, registry);
            var bound = 2 + (spec.Method is null ? 0 : 1) + spec.Evaluation.Count + spec.Views.Sum(v => v.Count);
            Console.WriteLine($"{r.GetValue(file)!.Name}: valid ({bound} plugin sections bound), config hash {resolved.ShortHash()}");
            if (resolved.Get("sweep") is not null)
            {
                // Every trial, bound as its run would be: a bad value in one is refused here, not an hour into the sweep.
                var plan = Sweeps.SweepPlan.Build(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? [], registry, "runs");
                Console.WriteLine($"sweep {plan.Definition.Name}: {plan.Trials.Count} trials, all valid (replab sweep {r.GetValue(file)!.Name} --dry-run lists them)");
            }
            return 0;
        }));

        var pluginsOf = new Argument<FileInfo?>("experiment") { Description = "Also list the plugins this experiment's plugins: loads", Arity = ArgumentArity.ZeroOrOne };
        var plugins = new Command("plugins", "List every plugin with its options, types, defaults and docs") { pluginsOf };
        plugins.SetAction(r => Cli.CliGuard.Run(r.GetValue(verbose), () =>
        {
            var folders = r.GetValue(pluginsOf) is { } experiment ? ExperimentSpec.PluginFolders(ExperimentLoader.Load(experiment.FullName, [])) : [];
            using var registry = LoadPlugins(quiet: false, folders);
            PluginListing.Write(registry);
            return 0;
        }));

        var resume = new Option<bool>("--resume") { Description = "Continue the trial from its last checkpoint" };
        var runsDir = new Option<string>("--runs-dir") { Description = "Folder of run folders (default: runs)", DefaultValueFactory = _ => "runs" };
        var stopAfter = new Option<long>("--stop-after-steps") { Description = "Checkpoint and stop after N steps (continue later with --resume)" };
        var fresh = new Option<bool>("--fresh") { Description = "Run again from scratch even when this config has already finished in the runs folder" };
        var parentRun = new Option<string?>("--parent-run") { Description = "Tag the run as a child of this MLflow run (local store id; replab sweep passes its parent run)" };
        var runName = new Option<string?>("--run-name") { Description = "The MLflow run name (default: the experiment's name)" };
        var run = new Command("run", "Train and evaluate one experiment (a sweep: section is left out: replab sweep runs it)") { file, overrides, resume, runsDir, stopAfter, fresh, parentRun, runName };
        run.SetAction(r => Cli.CliGuard.Run(r.GetValue(verbose), () =>
        {
            var loaded = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            var resolved = loaded.WithoutSection("sweep");
            if (resolved != loaded && r.GetValue(parentRun) is null)
                Console.WriteLine($"replab: {r.GetValue(file)!.Name} has a sweep: section; this runs its base config (replab sweep {r.GetValue(file)!.Name} runs the sweep)");
            using var registry = LoadPlugins(quiet: true, ExperimentSpec.PluginFolders(resolved));
            var spec = ExperimentSpec.Bind(resolved, registry);
            var outcome = new Runner(spec, registry, []).Run(new RunRequest(r.GetValue(resume), r.GetValue(runsDir)!, r.GetValue(stopAfter), r.GetValue(fresh), r.GetValue(parentRun), r.GetValue(runName)));
            return outcome.ExitCode;
        }));

        var output = new Option<string>("--output", "-o") { Description = "PNG file to write", DefaultValueFactory = _ => "views.png" };
        var count = new Option<int>("--count", "-n") { Description = "Images (rows) to show", DefaultValueFactory = _ => 8 };
        var preview = new Command("preview", "Write a PNG grid of images and each of their augmented views") { file, overrides, output, count };
        preview.SetAction(r => Cli.CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            using var registry = LoadPlugins(quiet: true, ExperimentSpec.PluginFolders(resolved));
            var written = Preview.Write(ExperimentSpec.Bind(resolved, registry), registry, r.GetValue(output)!, r.GetValue(count));
            Console.WriteLine($"wrote {written}");
            return 0;
        }));

        root.Subcommands.Add(config);
        root.Subcommands.Add(preview);
        root.Subcommands.Add(validate);
        root.Subcommands.Add(plugins);
        root.Subcommands.Add(run);
        foreach (var c in Cli.SweepCommands.Create(verbose)) root.Subcommands.Add(c);
        foreach (var c in Cli.TrackingCommands.Create(verbose)) root.Subcommands.Add(c);
        return root.Parse(args).Invoke();
    }

    internal static PluginRegistry LoadPlugins(bool quiet, IEnumerable<string>? extraFolders = null)
    {
        var catalog = new PluginCatalog();
        foreach (var folder in PluginCatalog.DefaultFolders().Concat(extraFolders ?? [])) catalog.AddFolder(folder);
        foreach (var f in catalog.Failures)
            if (!quiet || !f.Reason.Contains("does not exist")) Console.Error.WriteLine($"replab: plugin not loaded: {f.Path}: {f.Reason}");
        return new PluginRegistry(catalog);
    }

    /// <summary>User errors become messages with exit code 2; anything else is a failure (1).</summary>
}

/// <summary>The table printed by <c>replab plugins</c>.</summary>
internal static class PluginListing
{
    public static void Write(PluginRegistry registry)
    {
        var console = Cli.Terminal.Now();
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            var plugins = registry.Catalog.Plugins.Where(p => p.Kind == kind).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            if (plugins.Count == 0) continue;
            console.MarkupLine($"[bold]{kind.Yaml()}[/]");
            foreach (var p in plugins)
            {
                var cite = string.IsNullOrEmpty(p.Attribute.Citation) ? "" : $" [dim]({Markup.Escape(p.Attribute.Citation)})[/]";
                console.MarkupLine($"  [green]{p.Name}[/] {Markup.Escape(p.Attribute.Summary)}{cite} [dim]v{p.Version}[/]");
                if (kind == PluginKind.Method && registry.Create<IMethod>(p.Name).Needs is var needs)
                    console.MarkupLine($"    [dim]views: {needs.Views}; optimizer groups: " +
                        Markup.Escape(string.Join("; ", needs.OptimizerGroups.Select(g => $"{g.Key} ({OptionsBinder.FormatValue(g.Value.Kind)}, lr {OptionsBinder.FormatValue(g.Value.Lr)}, {OptionsBinder.FormatValue(g.Value.Schedule)})"))) + "[/]");
                var options = OptionsDescriber.Describe(p.OptionsType);
                if (options.Count == 0) continue;
                var table = new Table().Border(TableBorder.Simple).AddColumns("option", "type", "default", "meaning");
                foreach (var o in options)
                    table.AddRow(Markup.Escape(o.Key), Markup.Escape(o.Type), Markup.Escape(o.Default), Markup.Escape(o.Doc));
                console.Write(new Padder(table).Padding(4, 0, 0, 0));
            }
        }
    }
}
