using System.ComponentModel.DataAnnotations;
using RepLab.Host.Experiment;
using RepLab.Config;

namespace RepLab.Host.Tests.Config;

/// <summary>Device choice used to test enum binding.</summary>
public enum ExampleDevice
{
    /// <summary>Pick automatically.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>A CUDA device.</summary>
    Cuda,
}

/// <summary>Loss used to test kebab-case enum names.</summary>
public enum ExampleLoss
{
    /// <summary>Mean squared error.</summary>
    Mse,

    /// <summary>Negative cosine similarity.</summary>
    NegativeCosine,
}

/// <summary>The top level of the example experiment used by the config tests.</summary>
public sealed record ExampleOptions
{
    /// <summary>Name of the run.</summary>
    [Required]
    public string? Name { get; init; }

    /// <summary>
    /// Random seed;
    /// the same seed gives the same run.
    /// </summary>
    [Range(0, 1_000_000)]
    public int Seed { get; init; }

    /// <summary>Training loop settings.</summary>
    public ExampleTrainerOptions Trainer { get; init; } = new();

    /// <summary>The method subtree, bound later to the plugin's own options.</summary>
    public ConfigMap? Method { get; init; }

    /// <summary>Evaluation plugin subtrees.</summary>
    public ConfigList? Evaluation { get; init; }

    /// <summary>Crop scale range.</summary>
    [MinLength(2)]
    public float[] Scales { get; init; } = [0.2f, 1.0f];

    /// <summary>Free-form tags.</summary>
    public Dictionary<string, string> Tags { get; init; } = new();

    /// <summary>View pipelines, raw.</summary>
    public ConfigNode? Views { get; init; }
}

/// <summary>Trainer settings of the example experiment.</summary>
public sealed record ExampleTrainerOptions : IValidatableObject
{
    /// <summary>Number of passes over the data.</summary>
    [Range(1, 1000)]
    public int Epochs { get; init; } = 10;

    /// <summary>Images per step.</summary>
    [Range(1, 65536)]
    public int BatchSize { get; init; } = 256;

    /// <summary>Where to train.</summary>
    public ExampleDevice Device { get; init; } = ExampleDevice.Auto;

    /// <summary>Peak learning rate.</summary>
    [Range(0.0, 10.0)]
    public double Lr { get; init; } = 1e-3;

    /// <summary>Final learning rate of the cosine schedule (at most <see cref="Lr"/>).</summary>
    public double MinLr { get; init; }

    /// <summary>Whether to use mixed precision.</summary>
    public bool Amp { get; init; }

    /// <summary>Steps between checkpoints, none when unset.</summary>
    public long? CheckpointEvery { get; init; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinLr > Lr)
            yield return new ValidationResult($"expected min-lr at most lr ({Lr}), got {MinLr}", [nameof(MinLr)]);
    }
}

/// <summary>Projection head sizes.</summary>
public sealed record ExampleProjection
{
    /// <summary>Hidden width.</summary>
    [Range(1, 8192)]
    public int Hidden { get; init; } = 128;

    /// <summary>Output width.</summary>
    [Range(1, 8192)]
    public int Out { get; init; } = 64;
}

/// <summary>Options of the example "simclr" method plugin.</summary>
public sealed record ExampleSimClrOptions
{
    /// <summary>Softmax temperature of the NT-Xent loss.</summary>
    [Range(1e-4, 10.0)]
    public double Temperature { get; init; } = 0.5;

    /// <summary>Projection head.</summary>
    public ExampleProjection Projection { get; init; } = new();

    /// <summary>Loss.</summary>
    public ExampleLoss Loss { get; init; } = ExampleLoss.Mse;
}

/// <summary>Options of the example "knn" evaluator plugin.</summary>
public sealed record ExampleKnnOptions
{
    /// <summary>Neighbours.</summary>
    [Range(1, 1000)]
    public int K { get; init; } = 20;

    /// <summary>Temperature of the vote weights.</summary>
    public double Temperature { get; init; } = 0.1;
}

/// <summary>Options of the example "linear-probe" evaluator plugin.</summary>
public sealed record ExampleLinearProbeOptions
{
    /// <summary>Probe training epochs.</summary>
    [Range(1, 1000)]
    public int Epochs { get; init; } = 30;
}

/// <summary>Loads and binds an example experiment the way the host will: top level, then each plugin subtree.</summary>
internal static class ExampleExperiment
{
    public static readonly Dictionary<string, Type> Methods = new() { ["simclr"] = typeof(ExampleSimClrOptions) };

    public static readonly Dictionary<string, Type> Evaluators = new()
    {
        ["knn"] = typeof(ExampleKnnOptions),
        ["linear-probe"] = typeof(ExampleLinearProbeOptions),
    };

    public static (ExampleOptions Options, List<object> Plugins) LoadAndBind(string path, IReadOnlyList<string>? overrides = null)
    {
        var config = ExperimentLoader.Load(path, overrides);
        var options = OptionsBinder.Bind<ExampleOptions>(config.Root, "");
        var plugins = new List<object>();
        if (options.Method is not null)
        {
            var name = PluginSubtree.PluginName(options.Method, "method", Methods.Keys, "method");
            plugins.Add(PluginSubtree.BindOptions(Methods[name], options.Method, "method"));
        }
        for (var i = 0; i < (options.Evaluation?.Items.Count ?? 0); i++)
        {
            var node = options.Evaluation!.Items[i];
            var path_ = $"evaluation.{i}";
            var name = PluginSubtree.PluginName(node, path_, Evaluators.Keys, "evaluator");
            plugins.Add(PluginSubtree.BindOptions(Evaluators[name], node, path_));
        }
        return (options, plugins);
    }
}
