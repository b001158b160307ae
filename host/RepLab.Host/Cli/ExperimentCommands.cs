using System.CommandLine;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using RepLab.Sweeps;

namespace RepLab.Host.Cli;

/// <summary><c>replab config</c>, <c>preview</c>, <c>validate</c>, <c>plugins</c>, <c>check</c> and <c>run</c>: the commands of one experiment (and of the plugins it uses).</summary>
internal static class ExperimentCommands
{
    private static readonly Argument<FileInfo> File = new("experiment") { Description = "Experiment YAML file" };
    private static readonly Argument<string[]> Overrides = new("overrides") { Description = "a.b=value, +a.new=value or ~a.b", Arity = ArgumentArity.ZeroOrMore };

    public static IEnumerable<Command> Create(Option<bool> verbose) => [Config(verbose), Preview(verbose), Validate(verbose), PluginsCommand.Create(verbose), NewCommand.Create(verbose), CheckCommand.Create(verbose), Run(verbose), ExportCommand.Create(verbose)];

    /// <summary>The experiment of the command line, resolved.</summary>
    private static ResolvedConfig Load(ParseResult r) => ExperimentLoader.Load(r.GetValue(File)!.FullName, r.GetValue(Overrides) ?? []);

    /// <summary>The plugins the experiment can use (built-ins, REPLAB_PLUGIN_PATH, its own <c>plugins:</c>).</summary>
    private static PluginRegistry Registry(ResolvedConfig resolved) => PluginRegistry.Load(quiet: true, ExperimentSpec.PluginFolders(resolved));

    private static Command Config(Option<bool> verbose)
    {
        var config = new Command("config", "Print the resolved experiment (defaults, overrides and interpolation applied) and its hash") { File, Overrides };
        config.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = Load(r);
            Console.Write(resolved.ToYaml());
            Console.WriteLine($"# config hash: {resolved.Hash()}");
            return 0;
        }));
        return config;
    }

    private static Command Validate(Option<bool> verbose)
    {
        var validate = new Command("validate", "Check an experiment: composition, plugin names and every option") { File, Overrides };
        validate.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = Load(r);
            using var registry = Registry(resolved);
            var spec = ExperimentSpec.Bind(resolved, registry);
            // The method built once on the declared image shape: an undeclared optimizer group or state kept out of
            // the checkpoint is refused here, before any data loads, not after loading it.
            var dryBuilds = new MethodDryBuilds(registry);
            dryBuilds.Check(spec);
            var name = r.GetValue(File)!.Name;
            Console.WriteLine($"{name}: valid ({spec.Plugins().Count()} plugin sections bound), config hash {resolved.ShortHash()}");
            if (resolved.Get("sweep") is null) return 0;
            // Every trial, bound as its run would be: a bad value in one is refused here, not an hour into the sweep.
            var plan = SweepPlan.Build(r.GetValue(File)!.FullName, r.GetValue(Overrides) ?? [], new SweepHost(registry, dryBuilds), "runs");
            Console.WriteLine($"sweep {plan.Definition.Name}: {plan.Trials.Count} trials, all valid (replab sweep {name} --dry-run lists them)" +
                (dryBuilds.Skipped > 0 ? $"; the method was dry-built for {MethodDryBuilds.MaxBuilds} distinct configurations, the other {dryBuilds.Skipped} are built by their runs" : ""));
            return 0;
        }));
        return validate;
    }

    private static Command Run(Option<bool> verbose)
    {
        var resume = new Option<bool>("--resume") { Description = "Continue the trial from its last checkpoint" };
        var runsDir = new Option<string>("--runs-dir") { Description = "Folder of run folders (default: runs)", DefaultValueFactory = _ => "runs" };
        var stopAfter = new Option<long>("--stop-after-steps") { Description = "Checkpoint and stop after N steps (continue later with --resume)" };
        var fresh = new Option<bool>("--fresh") { Description = "Run again from scratch even when this config has already finished in the runs folder" };
        var parentRun = new Option<string?>("--parent-run") { Description = "Tag the run as a child of this MLflow run (local store id; replab sweep passes its parent run)" };
        var runName = new Option<string?>("--run-name") { Description = "The MLflow run name (default: the experiment's name)" };
        var timeLimit = new Option<string?>("--time-limit") { Description = "Checkpoint and stop when the run has taken this long (30m, 2h, 1h30m): status timed out, exit 124; continue with --resume" };
        var run = new Command("run", "Train and evaluate one experiment (a sweep: section is left out: replab sweep runs it)") { File, Overrides, resume, runsDir, stopAfter, fresh, parentRun, runName, timeLimit };
        run.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var loaded = Load(r);
            var resolved = loaded.WithoutSection("sweep");
            if (resolved != loaded && r.GetValue(parentRun) is null)
                Console.WriteLine($"replab: {r.GetValue(File)!.Name} has a sweep: section; this runs its base config (replab sweep {r.GetValue(File)!.Name} runs the sweep)");
            using var registry = Registry(resolved);
            var spec = ExperimentSpec.Bind(resolved, registry);
            var request = new RunRequest(r.GetValue(resume), r.GetValue(runsDir)!, r.GetValue(stopAfter), r.GetValue(fresh), r.GetValue(parentRun), r.GetValue(runName),
                r.GetValue(timeLimit) is { } limit ? Duration.Option(limit, "--time-limit") : null, Program.Arguments);
            return new Runner(spec, []).Run(request).ExitCode;
        }));
        return run;
    }

    private static Command Preview(Option<bool> verbose)
    {
        var output = new Option<string>("--output", "-o") { Description = "PNG file to write", DefaultValueFactory = _ => "views.png" };
        var count = new Option<int>("--count", "-n") { Description = "Images (rows) to show", DefaultValueFactory = _ => 8 };
        var preview = new Command("preview", "Write a PNG grid of images and each of their augmented views") { File, Overrides, output, count };
        preview.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var resolved = Load(r);
            using var registry = Registry(resolved);
            Console.WriteLine($"wrote {RepLab.Host.Run.Preview.Write(ExperimentSpec.Bind(resolved, registry), r.GetValue(output)!, r.GetValue(count))}");
            return 0;
        }));
        return preview;
    }
}
