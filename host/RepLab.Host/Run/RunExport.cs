using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Export;
using RepLab.Host.Experiment;
using RepLab.Host.Plugins;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// <c>replab export</c>: a finished run's representation written for ONNX Runtime or PyTorch. The run's
/// method is rebuilt from its resolved config on the CPU, on its training images (their shape and input
/// normalisation are the run's), and loaded strictly with the weights the run saved; the files go to a
/// folder and are logged as artifacts (<c>export/…</c>) of the run's MLflow run, which a configured server
/// receives at once.
/// </summary>
internal static class RunExport
{
    /// <summary>Where the files of <paramref name="format"/> go in a run's MLflow artifacts.</summary>
    public const string ArtifactFolder = "export";

    /// <summary>What an export wrote and where it was logged.</summary>
    /// <param name="Files">The files written.</param>
    /// <param name="MlflowRun">The local MLflow run they were logged to; null when the store has no run of this folder.</param>
    /// <param name="Uploaded">Whether a tracking server took them (null without a server).</param>
    public sealed record Result(IReadOnlyList<string> Files, LocalRunInfo? MlflowRun, bool? Uploaded);

    /// <summary>Exports the run of <paramref name="records"/> to <paramref name="output"/> (default: the run's <c>artifacts/export</c>).</summary>
    /// <exception cref="FileNotFoundException">The run has not finished: it has no saved representation.</exception>
    /// <exception cref="ExportNotSupportedException">A layer of the representation has no ONNX or PyTorch form.</exception>
    /// <param name="records">The run's folder.</param>
    /// <param name="format">What to write.</param>
    /// <param name="output">Where (default: the run's <c>artifacts/export</c>).</param>
    /// <param name="pluginFolders">The experiment's plugin folders, when the experiment file is at hand (its relative ones are relative to it).</param>
    public static Result Write(RunRecords records, ExportFormat format, string? output, IReadOnlyList<string>? pluginFolders = null)
    {
        var folder = Path.GetFullPath(output ?? Path.Combine(records.Artifacts, ArtifactFolder));
        IReadOnlyList<string> files;
        ExperimentSpec spec;
        using (var rebuilt = Rebuild(records, pluginFolders))
        {
            spec = rebuilt.Spec;
            files = EncoderExport.Write(rebuilt.Module, rebuilt.Shape, format, folder, Metadata(spec, records, rebuilt.Module));
        }
        var (run, uploaded) = Log(spec, records, files);
        return new Result(files, run, uploaded);
    }

    /// <summary>The run's representation, built as the run built it and holding the weights it saved, in evaluation mode.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no run, or one that has not finished (no saved representation).</exception>
    internal static Rebuilt Rebuild(RunRecords records, IReadOnlyList<string>? pluginFolders = null)
    {
        if (!File.Exists(records.ConfigFile)) throw new FileNotFoundException($"{records.Folder} is not a run folder: it has no config.yaml", records.ConfigFile);
        if (!File.Exists(records.EncoderWeights))
            throw new FileNotFoundException($"run {records.Folder} has no {RunRecords.EncoderArtifact}: a run saves its representation when it finishes; export it after that", records.EncoderWeights);
        var owned = new Stack<IDisposable>();
        try
        {
            var resolved = ExperimentLoader.Load(records.ConfigFile, []);
            var spec = ExperimentSpec.Bind(resolved, Own(PluginRegistry.Load(quiet: true, pluginFolders ?? RunPluginFolders(resolved))));
            var set = Own(DataPlan.Pretraining(spec.Dataset.As<IDataset>(), spec.Data));
            var encoders = new EncoderFactory(spec.Encoder.As<IEncoder>(), set.Shape, DataPlan.Normalization(spec, set), Device.CPU);
            var encoder = Own(encoders.Build());
            var representation = encoder;
            if (spec.Method is not null)
            {
                var method = spec.Method.As<IMethod>();
                var labels = DataPlan.TrainingLabels(set, spec.Data, spec.Seed);
                if (labels is not null) Own(labels);
                var plan = TrainingPlans.Of(spec.Trainer, set.Count);
                method.Build(new MethodSetup(encoder, encoders, set.Shape, labels is null ? 0 : set.Classes, Device.CPU, plan, new OptimizerFactory(spec, plan)));
                foreach (var m in method.Modules.Values) Own(m);
                if (method is IDisposable disposable) Own(disposable);
                representation = method.Representation;
            }
            var (weights, _) = Safetensors.Load(records.EncoderWeights);
            foreach (var t in weights.Values) Own(t);
            try { representation.load_state_dict(weights, strict: true); }
            catch (StateDictException e)
            {
                throw new InvalidDataException($"{records.EncoderWeights} does not fit the representation rebuilt from {records.ConfigFile} (were the plugins changed since the run?): {e.Message}");
            }
            representation.eval();
            return new Rebuilt(representation, set.Shape, spec, owned);
        }
        catch
        {
            while (owned.Count > 0) owned.Pop().Dispose();
            throw;
        }

        T Own<T>(T disposable) where T : IDisposable
        {
            owned.Push(disposable);
            return disposable;
        }
    }

    /// <summary>The plugin folders the run's <c>config.yaml</c> names; a relative one was relative to the experiment file, which a run folder does not record.</summary>
    private static IReadOnlyList<string> RunPluginFolders(ResolvedConfig resolved)
    {
        try
        {
            return ExperimentSpec.PluginFolders(resolved);
        }
        catch (ConfigException e)
        {
            throw new DirectoryNotFoundException($"{e.Message}\nreplab: the run's config.yaml keeps its plugin folders as the experiment named them, relative to the experiment file: " +
                                                 "pass that file as RUN (replab export EXPERIMENT.yaml)");
        }
    }

    /// <summary>Said in the ONNX model's metadata and the safetensors header: what the model is and what it expects.</summary>
    private static Dictionary<string, string> Metadata(ExperimentSpec spec, RunRecords records, EncoderModule representation) => new(StringComparer.Ordinal)
    {
        ["replab.version"] = MlflowTracker.ReplabVersion,
        ["replab.experiment"] = spec.Name,
        ["replab.config_hash"] = spec.Config.ShortHash(),
        ["replab.run"] = Path.GetFileName(records.Folder),
        ["replab.method"] = spec.Method?.Descriptor.Name ?? "none",
        ["replab.encoder"] = spec.Encoder.Descriptor.Name,
        ["replab.dataset"] = spec.Dataset.Descriptor.Name,
        ["replab.features"] = representation.Features.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["replab.input"] = "images [N, C, H, W], float32 in [0, 1]" + (spec.Data.Normalize == InputNormalization.None ? "" : "; the run's input normalisation is inside the model"),
    };

    /// <summary>
    /// Logs <paramref name="files"/> as artifacts of the MLflow run that recorded <paramref name="records"/>' folder, in the
    /// local store of the run's tracking target, and uploads them when that target is a server.
    /// </summary>
    private static (LocalRunInfo? Run, bool? Uploaded) Log(ExperimentSpec spec, RunRecords records, IReadOnlyList<string> files)
    {
        var target = TrackingTarget.Parse(TrackingTarget.ResolveUri(spec.Tracking.Uri));
        // A store that is not there is not made here (the export may run from another folder than the run did).
        if (!Directory.Exists(target.LocalStore)) return (null, null);
        var store = new MlflowFileStore(target.LocalStore);
        var run = store.RunOfFolder(records.Folder);
        if (run is null) return (null, null);
        foreach (var file in files) MlflowFileStore.AddArtifact(run, file, $"{ArtifactFolder}/{Path.GetFileName(file)}");
        if (target.Server is null) return (run, null);
        using var uploader = new OfflineUploader(store, new MlflowRestClient(target.Server, MlflowRequestPolicy.Sync), Console.Error);
        var result = Task.Run(() => uploader.SyncRunAsync(run.Directory)).GetAwaiter().GetResult();
        // Uploaded: the server took something of this run (the new files), nothing failed and nothing waits.
        return (run, result.RunsUploaded > 0 && result.RunsFailed == 0 && result.RunsWaiting == 0);
    }

    /// <summary>A rebuilt representation with its experiment and what it holds (the plugins, the training images, the method's modules, the loaded tensors).</summary>
    internal sealed record Rebuilt(EncoderModule Module, ImageShape Shape, ExperimentSpec Spec, Stack<IDisposable> Owned) : IDisposable
    {
        public void Dispose()
        {
            while (Owned.Count > 0) Owned.Pop().Dispose();
        }
    }
}
