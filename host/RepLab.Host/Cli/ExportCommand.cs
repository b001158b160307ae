using System.CommandLine;
using RepLab.Config;
using RepLab.Export;
using RepLab.Host.Experiment;
using RepLab.Host.Run;
using RepLab.Tracking;

namespace RepLab.Host.Cli;

/// <summary>
/// <c>replab export RUN --format onnx|pytorch</c>: a finished run's representation for ONNX Runtime
/// (<c>encoder.onnx</c>) or PyTorch (<c>encoder.safetensors</c> and <c>encoder.py</c>), logged as artifacts of its run
/// (<see cref="RunExport"/>). RUN is a run folder, a folder's name under <c>--runs-dir</c> (or the start of one), or
/// the experiment file that made the run.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var run = new Argument<string>("run") { Description = "A run folder, its name (or the experiment's name) under --runs-dir, or the experiment file that made the run" };
        var format = new Option<string>("--format", "-f") { Description = "onnx (encoder.onnx, for ONNX Runtime) or pytorch (encoder.safetensors and encoder.py)", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx", "pytorch");
        var output = new Option<string?>("--output", "-o") { Description = "Folder to write to (default: the run's artifacts/export)" };
        var runsDir = new Option<string>("--runs-dir") { Description = "Folder of run folders (default: runs)", DefaultValueFactory = _ => "runs" };
        var export = new Command("export", "Write a finished run's representation as an ONNX model or as PyTorch weights with a module definition, and log it to the run") { run, format, output, runsDir };
        export.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var records = new RunRecords(Locate(r.GetValue(run)!, r.GetValue(runsDir)!));
            var chosen = r.GetValue(format) == "pytorch" ? ExportFormat.Pytorch : ExportFormat.Onnx;
            var result = RunExport.Write(records, chosen, r.GetValue(output));
            foreach (var file in result.Files) Console.WriteLine($"wrote {file} ({new FileInfo(file).Length / 1024.0:N0} KiB)");
            Console.WriteLine(result.MlflowRun is { } logged
                ? $"logged as artifacts {RunExport.ArtifactFolder}/ of MLflow run {logged.RunId} ({logged.RunName})" +
                  (result.Uploaded switch { true => ", uploaded to the tracking server", false => "; the server did not take them: `replab sync` uploads them later", null => "" })
                : "not logged: the local MLflow store has no run of this folder");
            return 0;
        }));
        return export;
    }

    /// <summary>The run folder <paramref name="which"/> names.</summary>
    internal static string Locate(string which, string runsRoot)
    {
        if (File.Exists(Path.Combine(which, "config.yaml"))) return Path.GetFullPath(which);
        if (File.Exists(which) && Path.GetExtension(which) is ".yaml" or ".yml") return OfExperiment(Path.GetFullPath(which), runsRoot);
        var folders = Directory.Exists(runsRoot) ? Directory.GetDirectories(runsRoot).Where(d => File.Exists(Path.Combine(d, "config.yaml"))).Select(Path.GetFileName).OfType<string>().ToList() : [];
        if (folders.Contains(which)) return Path.GetFullPath(Path.Combine(runsRoot, which));
        // An experiment's runs are <name>-<hash>: its name finds them, and the newest one wins only when it is the one run of that name.
        var named = folders.Where(f => f.StartsWith(RunRecords.SafeName(which) + "-", StringComparison.Ordinal)).ToList();
        if (named is [var only]) return Path.GetFullPath(Path.Combine(runsRoot, only));
        if (named.Count > 1)
            throw new ArgumentException($"'{which}' names {named.Count} runs under {runsRoot}: {string.Join(", ", named)}; pass one of them");
        throw new DirectoryNotFoundException($"no run '{which}' under {Path.GetFullPath(runsRoot)}{DidYouMean.Hint(which, folders)}; " +
                                             $"runs there: {(folders.Count == 0 ? "none" : string.Join(", ", folders))}");
    }

    /// <summary>The folder <c>replab run <paramref name="file"/></c> (without overrides) trained in.</summary>
    private static string OfExperiment(string file, string runsRoot)
    {
        var resolved = ExperimentLoader.Load(file, []).WithoutSection("sweep");
        using var registry = Plugins.PluginRegistry.Load(quiet: true, ExperimentSpec.PluginFolders(resolved));
        var spec = ExperimentSpec.Bind(resolved, registry);
        var records = RunRecords.For(runsRoot, spec.Name, spec.Config.ShortHash());
        return File.Exists(records.ConfigFile) ? records.Folder
            : throw new DirectoryNotFoundException($"{file} has not been run under {Path.GetFullPath(runsRoot)} (no folder {Path.GetFileName(records.Folder)}): `replab run {file}` first");
    }
}
