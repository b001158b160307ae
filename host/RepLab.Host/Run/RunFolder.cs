namespace RepLab.Host.Run;

/// <summary>
/// A trial's folder, <c>runs/NAME/CONFIGHASH</c>: the resolved config, the metrics log, the
/// checkpoint and the artifacts. The same experiment always gets the same folder, so
/// <c>--resume</c> finds its checkpoint; without it, an old checkpoint is removed first.
/// </summary>
internal sealed class RunFolder
{
    private RunFolder(string path) => Path = path;

    public string Path { get; }

    public string Checkpoint => System.IO.Path.Combine(Path, "checkpoints", "last.safetensors");

    public string Artifacts => System.IO.Path.Combine(Path, "artifacts");

    public string ConfigFile => System.IO.Path.Combine(Path, "config.yaml");

    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    public string EvaluationFile => System.IO.Path.Combine(Path, "evaluation.json");

    /// <summary>Whether the run continues from a checkpoint that is there.</summary>
    public bool Resumed { get; private set; }

    /// <summary>Prepares <paramref name="spec"/>'s folder under <paramref name="runsRoot"/> and writes its resolved config.</summary>
    public static RunFolder Prepare(ExperimentSpec spec, string runsRoot, bool resume)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(runsRoot, spec.Name, spec.Config.ShortHash()));
        var folder = new RunFolder(path);
        folder.Resumed = resume && File.Exists(folder.Checkpoint);
        var checkpoints = System.IO.Path.GetDirectoryName(folder.Checkpoint)!;
        if (!resume && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        Directory.CreateDirectory(checkpoints);
        File.WriteAllText(folder.ConfigFile, spec.Config.ToYaml());
        return folder;
    }
}
