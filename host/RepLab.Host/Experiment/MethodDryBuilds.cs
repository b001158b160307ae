using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;
using RepLab.Host.Run;
using RepLab.Torch;

namespace RepLab.Host.Experiment;

/// <summary>
/// Builds an experiment's method once on the CPU, on the image shape its dataset declares without
/// loading (<see cref="IDataset.ShapeOf"/>; a nominal 3x32x32 when it cannot say), to find before any
/// data loads what only a built method shows: an optimizer group it creates without declaring it, state
/// it keeps out of its checkpoint (<see cref="CheckpointCoverage"/>). Each distinct method, encoder and
/// shape is built once (a sweep's trials mostly differ elsewhere: the optimizer, the seed), and at most
/// <see cref="MaxBuilds"/> of them, so binding a sweep of 100,000 trials stays bounded. Any other failure
/// is left to the run, which builds on the real images and reports it there. Building needs libtorch,
/// whose loading takes 0.3 s, more than the rest of a validation: built-in methods are not dry-built (the
/// conformance checks build every one of them with the same guards), so validating an experiment of
/// built-ins never loads it.
/// </summary>
internal sealed class MethodDryBuilds(PluginRegistry registry)
{
    /// <summary>The most distinct method configurations built in one validation.</summary>
    public const int MaxBuilds = 16;

    private static readonly ImageShape Nominal = new(3, 32, 32);

    private readonly Dictionary<string, ConfigError?> built = [];

    /// <summary>
    /// The outcome by plugin types and options records (value equality): a sweep's 100,000 trials find theirs
    /// without writing any YAML. Records holding arrays compare by reference and fall through to <see cref="built"/>.
    /// </summary>
    private readonly Dictionary<(Type, PluginOptions, Type, PluginOptions, Type, PluginOptions, string), ConfigError?> byOptions = [];
    private readonly Dictionary<string, ImageShape> shapes = [];
    private readonly HashSet<string> skipped = [];

    /// <summary>Distinct method configurations left unbuilt because <see cref="MaxBuilds"/> were built already.</summary>
    public int Skipped => skipped.Count;

    /// <summary>Dry-builds <paramref name="spec"/>'s method unless one of the same configuration was.</summary>
    /// <exception cref="ConfigException">The built method creates an undeclared optimizer group or hides state from its checkpoint.</exception>
    public void Check(ExperimentSpec spec)
    {
        // A built-in method (one beside the host) is built with these same guards by the conformance checks of
        // every test run; building it here would cost libtorch's load for nothing a plugin author can change.
        if (spec.Method is null || IsBuiltIn(spec.Method.Descriptor)) return;
        var fast = (spec.Method.Descriptor.Type, spec.Method.Options, spec.Encoder.Descriptor.Type, spec.Encoder.Options,
            spec.Dataset.Descriptor.Type, spec.Dataset.Options, spec.Data.PretrainSplits.FirstOrDefault() ?? "train");
        if (!byOptions.TryGetValue(fast, out var error))
        {
            var shape = Shape(spec);
            var key = $"{Yaml(spec, spec.Method.KeyPath)}\n{Yaml(spec, spec.Encoder.KeyPath)}\n{shape}";
            if (!built.TryGetValue(key, out error))
            {
                if (built.Count >= MaxBuilds)
                {
                    // Left to the run; remembered, so the other trials of this configuration skip the YAML too.
                    skipped.Add(key);
                    byOptions[fast] = null;
                    return;
                }
                built[key] = error = Build(spec, shape);
            }
            byOptions[fast] = error;
        }
        if (error is not null) throw new ConfigException(error);
    }

    private static bool IsBuiltIn(PluginDescriptor d) => PluginCatalog.IsUnder(d.AssemblyPath, PluginCatalog.BuiltInFolder);

    private static string Yaml(ExperimentSpec spec, string path) => spec.Config.Get(path) is { } node ? ConfigYaml.Write(node) : "";

    /// <summary>The first pretraining split's declared shape, once per dataset configuration (a header read is cheap, 100,000 are not).</summary>
    private ImageShape Shape(ExperimentSpec spec)
    {
        var split = spec.Data.PretrainSplits.FirstOrDefault() ?? "train";
        var key = $"{Yaml(spec, spec.Dataset.KeyPath)}\n{split}";
        if (!shapes.TryGetValue(key, out var shape)) shapes[key] = shape = spec.Dataset.As<IDataset>().ShapeOf(split) ?? Nominal;
        return shape;
    }

    private ConfigError? Build(ExperimentSpec spec, ImageShape shape)
    {
        // Fresh instances: the spec's own are the run's, built once.
        var method = (IMethod)registry.Create(spec.Method!.Descriptor, spec.Method.Options);
        var encoders = new EncoderFactory((IEncoder)registry.Create(spec.Encoder.Descriptor, spec.Encoder.Options), shape, null, Device.CPU);
        var plan = new TrainingPlan(spec.Trainer.Epochs, 1, Math.Max(spec.Trainer.Epochs, 1), spec.Trainer.BatchSize);
        var modules = new List<Module>();
        try
        {
            using var scope = torch.NewDisposeScope();
            modules.Add(encoders.Build());
            method.Build(new MethodSetup((EncoderModule)modules[0], encoders, shape, 0, Device.CPU, plan, new OptimizerFactory(spec, plan)));
            modules.AddRange(CheckpointCoverage.HeldModules(method).Select(h => h.Module));
            return CheckpointCoverage.Problem(method, spec.Method.Descriptor.Name) is { } hidden ? new ConfigError(spec.MethodLocation, "method", hidden) : null;
        }
        catch (ConfigException e)
        {
            return e.Errors[0];
        }
        catch (Exception)
        {
            // A nominal shape, no classes, a plugin's own check of its options: the run builds on the
            // real images and reports whatever this build could not know.
            return null;
        }
        finally
        {
            foreach (var m in modules.Concat(method.Modules.Values).Distinct()) m.Dispose();
            (method as IDisposable)?.Dispose();
        }
    }
}
