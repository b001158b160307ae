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
        var run = new Argument<string>("run") { Description = "A run folder, the experiment file that made it, or its name under --runs-dir (NAME/HASH, or NAME: its newest finished run)" };
        var format = new Option<string>("--format", "-f") { Description = "onnx (encoder.onnx, for ONNX Runtime) or pytorch (encoder.safetensors and encoder.py)", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx", "pytorch");
        var output = new Option<string?>("--output", "-o") { Description = "Folder to write to (default: the run's artifacts/export)" };
        var runsDir = new Option<string>("--runs-dir") { Description = "Folder of run folders (default: runs)", DefaultValueFactory = _ => "runs" };
        var export = new Command("export", "Write a finished run's representation as an ONNX model or as PyTorch weights with a module definition, and log it to the run") { run, format, output, runsDir };
        export.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
        {
            var (folder, plugins) = Locate(r.GetValue(run)!, r.GetValue(runsDir)!);
            var chosen = r.GetValue(format) == "pytorch" ? ExportFormat.Pytorch : ExportFormat.Onnx;
            var result = RunExport.Write(new RunRecords(folder), chosen, r.GetValue(output), plugins);
            foreach (var file in result.Files) Console.WriteLine($"wrote {file} ({new FileInfo(file).Length / 1024.0:N0} KiB)");
            Console.WriteLine(result.MlflowRun is { } logged
                ? $"logged as artifacts {RunExport.ArtifactFolder}/ of MLflow run {logged.RunId} ({logged.RunName})" +
                  (result.Uploaded switch { true => ", uploaded to the tracking server", false => "; the server did not take them: `replab sync` uploads them later", null => "" })
                : "not logged: the local MLflow store (MLFLOW_TRACKING_URI, else the run's tracking.uri, relative to this folder) has no run of this folder");
            return 0;
        }));
        return export;
    }

    /// <summary>
    /// The run folder <paramref name="which"/> names: a folder, an experiment file, or a name under
    /// <paramref name="runsRoot"/> (<c>NAME/HASH</c>, or <c>NAME</c>: its newest finished run, said on stderr when it has several);
    /// with the experiment file's plugin folders when <paramref name="which"/> is that file.
    /// </summary>
    internal static (string Folder, IReadOnlyList<string>? PluginFolders) Locate(string which, string runsRoot)
    {
        foreach (var folder in new[] { which, Path.Combine(runsRoot, which) })
            if (File.Exists(Path.Combine(folder, "config.yaml"))) return (Path.GetFullPath(folder), null);
        if (File.Exists(which) && Path.GetExtension(which) is ".yaml" or ".yml") return OfExperiment(Path.GetFullPath(which), runsRoot);
        var named = Path.Combine(runsRoot, RunRecords.SafeName(which));
        var runs = Directory.Exists(named) ? Directory.GetDirectories(named).Select(d => new RunRecords(d)).Where(r => File.Exists(r.ConfigFile)).ToList() : [];
        var finished = runs.Where(r => File.Exists(r.EncoderWeights)).OrderByDescending(r => File.GetLastWriteTimeUtc(r.EncoderWeights)).ToList();
        if (finished.Count > 1)
            Console.Error.WriteLine($"replab: {which} has {finished.Count} finished runs under {Path.GetFullPath(runsRoot)}; exporting the newest, " +
                                    $"{Path.GetFileName(finished[0].Folder)} (pass {which}/HASH for another: {string.Join(", ", finished.Skip(1).Select(r => Path.GetFileName(r.Folder)))})");
        if (finished.Count > 0) return (finished[0].Folder, null);
        if (runs.Count > 0) return (runs[0].Folder, null);
        var known = Directory.Exists(runsRoot) ? Directory.GetDirectories(runsRoot).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.') && !n.StartsWith('_')).ToList() : [];
        throw new DirectoryNotFoundException($"no run '{which}' under {Path.GetFullPath(runsRoot)}{DidYouMean.Hint(which, known)}; " +
                                             $"experiments there: {(known.Count == 0 ? "none" : string.Join(", ", known))}");
    }

    /// <summary>The folder <c>replab run <paramref name="file"/></c> (without overrides) trained in, and the file's plugin folders.</summary>
    private static (string, IReadOnlyList<string>) OfExperiment(string file, string runsRoot)
    {
        var resolved = ExperimentLoader.Load(file, []).WithoutSection("sweep");
        var plugins = ExperimentSpec.PluginFolders(resolved);
        using var registry = Plugins.PluginRegistry.Load(quiet: true, plugins);
        var spec = ExperimentSpec.Bind(resolved, registry);
        var records = RunRecords.For(runsRoot, spec.Name, spec.Config.ShortHash());
        return File.Exists(records.ConfigFile) ? (records.Folder, plugins)
            : throw new DirectoryNotFoundException($"{file} has not been run under {Path.GetFullPath(runsRoot)} (no folder {Path.GetFileName(records.Folder)}): `replab run {file}` first");
    }
}
