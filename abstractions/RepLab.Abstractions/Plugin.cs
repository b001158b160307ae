namespace RepLab.Abstractions;

/// <summary>The kinds of plugin a host composes into a run.</summary>
public enum PluginKind
{
    /// <summary>A learning method (<see cref="IMethod"/>): autoencoder, SimCLR, DCGAN, RotNet, ...</summary>
    Method,

    /// <summary>A backbone factory (<see cref="IEncoder"/>).</summary>
    Encoder,

    /// <summary>A source of labelled or unlabelled images (<see cref="IDataset"/>).</summary>
    Dataset,

    /// <summary>One batched augmentation step of a view pipeline (<see cref="IAugmentation"/>).</summary>
    Augmentation,

    /// <summary>A protocol that scores a frozen encoder (<see cref="IEvaluator"/>).</summary>
    Evaluator,

    /// <summary>Code that runs during training at step and epoch ends (<see cref="ITrainingCallback"/>).</summary>
    Callback,

    /// <summary>How a sweep's trials run: local processes, a Slurm job array (<see cref="ISweepExecutor"/>).</summary>
    Executor,
}

/// <summary>
/// Marks a public class as a plugin and gives its name in experiment files (kebab-case, unique
/// within its kind). The class implements exactly one plugin interface and has one public
/// constructor; a constructor parameter whose type derives from <see cref="PluginOptions"/> receives
/// the options bound from the plugin's YAML subtree.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PluginAttribute(string name) : Attribute
{
    /// <summary>The plugin's name in YAML, e.g. <c>simclr</c>.</summary>
    public string Name { get; } = name;

    /// <summary>One line shown by <c>replab plugins</c>.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The paper the defaults come from, if any.</summary>
    public string Citation { get; init; } = "";
}

/// <summary>Base of every plugin interface.</summary>
public interface IPlugin;

/// <summary>
/// Base of every options record. Properties are bound from kebab-case YAML keys; initializers are
/// the defaults; System.ComponentModel.DataAnnotations attributes validate them at load time.
/// </summary>
public abstract record PluginOptions;

/// <summary>Options of a plugin that takes none.</summary>
public sealed record NoOptions : PluginOptions;

/// <summary>Maps a plugin interface to its kind.</summary>
public static class PluginKinds
{
    /// <summary>Every plugin interface and its kind.</summary>
    public static readonly IReadOnlyDictionary<Type, PluginKind> Interfaces = new Dictionary<Type, PluginKind>
    {
        [typeof(IMethod)] = PluginKind.Method,
        [typeof(IEncoder)] = PluginKind.Encoder,
        [typeof(IDataset)] = PluginKind.Dataset,
        [typeof(IAugmentation)] = PluginKind.Augmentation,
        [typeof(IEvaluator)] = PluginKind.Evaluator,
        [typeof(ITrainingCallback)] = PluginKind.Callback,
        [typeof(ISweepExecutor)] = PluginKind.Executor,
    };

    /// <summary>The YAML spelling of a kind: method, encoder, dataset, augmentation, evaluator, callback, executor.</summary>
    public static string Yaml(this PluginKind kind) => kind.ToString().ToLowerInvariant();
}
