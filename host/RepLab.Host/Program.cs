using System.CommandLine;
using RepLab.Abstractions;
using RepLab.Host.Config;
using RepLab.Host.Plugins;
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
        config.SetAction(r => Guard(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            Console.Write(resolved.ToYaml());
            Console.WriteLine($"# config hash: {resolved.Hash()}");
            return 0;
        }));

        var validate = new Command("validate", "Check an experiment: composition, plugin names and every option") { file, overrides };
        validate.SetAction(r => Guard(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            using var registry = LoadPlugins(quiet: true);
            var bound = ExperimentValidator.Validate(resolved, registry);
            Console.WriteLine($"{r.GetValue(file)!.Name}: valid ({bound} plugin sections bound), config hash {resolved.ShortHash()}");
            return 0;
        }));

        var plugins = new Command("plugins", "List every plugin with its options, types, defaults and docs");
        plugins.SetAction(r => Guard(r.GetValue(verbose), () =>
        {
            using var registry = LoadPlugins(quiet: false);
            PluginListing.Write(registry);
            return 0;
        }));

        var run = new Command("run", "Train and evaluate one experiment") { file, overrides };
        run.SetAction(r => Guard(r.GetValue(verbose), () =>
        {
            var resolved = ExperimentLoader.Load(r.GetValue(file)!.FullName, r.GetValue(overrides) ?? []);
            using var registry = LoadPlugins(quiet: true);
            ExperimentValidator.Validate(resolved, registry);
            Console.Error.WriteLine("replab run: the experiment is valid, but the training loop is not built yet (see the open host issue).");
            return 1;
        }));

        root.Subcommands.Add(config);
        root.Subcommands.Add(validate);
        root.Subcommands.Add(plugins);
        root.Subcommands.Add(run);
        foreach (var c in Cli.TrackingCommands.Create(verbose)) root.Subcommands.Add(c);
        return root.Parse(args).Invoke();
    }

    internal static PluginRegistry LoadPlugins(bool quiet)
    {
        var catalog = new PluginCatalog();
        foreach (var folder in PluginCatalog.DefaultFolders()) catalog.AddFolder(folder);
        foreach (var f in catalog.Failures)
            if (!quiet || !f.Reason.Contains("does not exist")) Console.Error.WriteLine($"replab: plugin not loaded: {f.Path}: {f.Reason}");
        return new PluginRegistry(catalog);
    }

    /// <summary>User errors become messages with exit code 2; anything else is a failure (1).</summary>
    private static int Guard(bool verbose, Func<int> action)
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
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"replab: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"replab: {e.GetType().Name}: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }
}

/// <summary>Binds every plugin section of a resolved experiment, so all validation happens before any tensor is made.</summary>
internal static class ExperimentValidator
{
    private static readonly (string key, PluginKind kind, bool list)[] Sections =
    [
        ("dataset", PluginKind.Dataset, false), ("encoder", PluginKind.Encoder, false), ("method", PluginKind.Method, false),
        ("evaluation", PluginKind.Evaluator, true),
    ];

    public static int Validate(ResolvedConfig config, PluginRegistry registry)
    {
        var errors = new List<ConfigError>();
        var bound = 0;
        void Bind(ConfigNode node, string path, PluginKind kind)
        {
            try
            {
                var name = PluginSubtree.PluginName(node, path, registry.Names(kind).ToList(), kind.Yaml());
                PluginSubtree.BindOptions(registry.Find(kind, name)!.OptionsType, node, path);
                bound++;
            }
            catch (ConfigException e)
            {
                errors.AddRange(e.Errors);
            }
        }
        foreach (var (key, kind, list) in Sections)
        {
            var node = config.Get(key);
            if (node is null) continue;
            if (list && node is ConfigList items)
                for (var i = 0; i < items.Items.Count; i++) Bind(items.Items[i], $"{key}.{i}", kind);
            else Bind(node, key, kind);
        }
        if (config.Get("views") is ConfigList views)
            for (var v = 0; v < views.Items.Count; v++)
                if (views.Items[v] is ConfigList steps)
                    for (var s = 0; s < steps.Items.Count; s++) Bind(steps.Items[s], $"views.{v}.{s}", PluginKind.Augmentation);
        if (errors.Count > 0) throw new ConfigException(errors);
        return bound;
    }
}

/// <summary>The table printed by <c>replab plugins</c>.</summary>
internal static class PluginListing
{
    public static void Write(PluginRegistry registry)
    {
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            var plugins = registry.Catalog.Plugins.Where(p => p.Kind == kind).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            if (plugins.Count == 0) continue;
            AnsiConsole.MarkupLine($"[bold]{kind.Yaml()}[/]");
            foreach (var p in plugins)
            {
                var cite = string.IsNullOrEmpty(p.Attribute.Citation) ? "" : $" [dim]({Markup.Escape(p.Attribute.Citation)})[/]";
                AnsiConsole.MarkupLine($"  [green]{p.Name}[/] {Markup.Escape(p.Attribute.Summary)}{cite} [dim]v{p.Version}[/]");
                var options = OptionsDescriber.Describe(p.OptionsType);
                if (options.Count == 0) continue;
                var table = new Table().Border(TableBorder.Simple).AddColumns("option", "type", "default", "meaning");
                foreach (var o in options)
                    table.AddRow(Markup.Escape(o.Key), Markup.Escape(o.Type), Markup.Escape(o.Default), Markup.Escape(o.Doc));
                AnsiConsole.Write(new Padder(table).Padding(4, 0, 0, 0));
            }
        }
    }
}
