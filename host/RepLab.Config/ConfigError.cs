namespace RepLab.Config;

/// <summary>One problem in an experiment configuration that a user caused and can fix.</summary>
/// <param name="Location">Where the offending value (or key) was written.</param>
/// <param name="KeyPath">Dotted key path, list items by index (<c>evaluation.0.k</c>); empty for the top level.</param>
/// <param name="Message">What is wrong and what was expected, with a did-you-mean where one exists.</param>
public sealed record ConfigError(SourceLocation Location, string KeyPath, string Message)
{
    /// <summary>Formats as <c>file:line:col: key.path: message</c>.</summary>
    public override string ToString() => $"{Location}: {(KeyPath.Length == 0 ? "(top level)" : KeyPath)}: {Message}";
}

/// <summary>
/// Thrown for every configuration problem a user can cause (the CLI maps it to exit code 2).
/// Carries all errors found, so that one run reports every mistake at once.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates an exception from one or more errors.</summary>
    public ConfigException(IEnumerable<ConfigError> errors)
        : this(errors.ToArray())
    {
    }

    /// <summary>Creates an exception from one or more errors.</summary>
    public ConfigException(params ConfigError[] errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        if (errors.Length == 0)
            throw new ArgumentException("a ConfigException needs at least one error", nameof(errors));
        Errors = errors;
    }

    /// <summary>The errors, in the order they were found.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    public static ConfigException At(SourceLocation location, string keyPath, string message) =>
        new(new ConfigError(location, keyPath, message));
}
