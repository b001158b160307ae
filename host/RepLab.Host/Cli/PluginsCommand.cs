using System.CommandLine;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Host.Plugins;
using Spectre.Console;

namespace RepLab.Host.Cli;

/// <summary><c>replab plugins</c>: every plugin with its options, types, defaults and docs.</summary>
internal static class PluginsCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var pluginsOf = new Argument<FileInfo?>("experiment") { Description = "Also list the plugins this experiment's plugins: loads", Arity = ArgumentArity.ZeroOrOne };
        var plugins = new Command("plugins", "List every plugin with its options, types, defaults and docs") { pluginsOf };
        plugins.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var folders = r.GetValue(pluginsOf) is { } experiment ? ExperimentSpec.PluginFolders(ExperimentLoader.Load(experiment.FullName, [])) : [];
            using var registry = PluginRegistry.Load(quiet: false, folders);
            Terminal.WriteForReading(console => Write(console, registry));
            return 0;
        }));
        return plugins;
    }

    /// <summary>The listing: per kind, each plugin's summary, citation and version, a method's views and groups, and its options table.</summary>
    private static void Write(IAnsiConsole console, PluginRegistry registry)
    {
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            var plugins = registry.Catalog.Plugins.Where(p => p.Kind == kind).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            if (plugins.Count == 0) continue;
            console.MarkupLine($"[bold]{kind.Yaml()}[/]");
            foreach (var p in plugins)
            {
                var cite = string.IsNullOrEmpty(p.Attribute.Citation) ? "" : $" [dim]({Markup.Escape(p.Attribute.Citation)})[/]";
                Indented(console, 2, $"[green]{p.Name}[/] {Markup.Escape(p.Attribute.Summary)}{cite} [dim]v{p.Version}[/]");
                if (kind == PluginKind.Method && registry.Create<IMethod>(p.Name).Needs is var needs)
                    Indented(console, 4, $"[dim]views: {needs.Views}; optimizer groups: " +
                        Markup.Escape(string.Join("; ", needs.OptimizerGroups.Select(g => $"{g.Key} ({OptionsBinder.FormatValue(g.Value.Kind)}, lr {OptionsBinder.FormatValue(g.Value.Lr)}, {OptionsBinder.FormatValue(g.Value.Schedule)})"))) + "[/]");
                WriteOptions(console, p.OptionsType);
            }
        }
    }

    /// <summary>A line of markup, wrapped lines indented as its first.</summary>
    private static void Indented(IAnsiConsole console, int columns, string markup) =>
        console.Write(new Padder(new Markup(markup)).Padding(columns, 0, 0, 0));

    private static void WriteOptions(IAnsiConsole console, Type optionsType)
    {
        var options = OptionsDescriber.Describe(optionsType);
        if (options.Count == 0) return;
        var table = new Table().Border(TableBorder.Simple).AddColumns("option", "type", "default", "meaning");
        foreach (var o in options)
            table.AddRow(Markup.Escape(o.Key), Markup.Escape(o.Type), Markup.Escape(o.Default), Markup.Escape(o.Doc));
        console.Write(new Padder(table).Padding(4, 0, 0, 0));
    }
}
