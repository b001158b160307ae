namespace RepLab.Config;

/// <summary>Where a configuration value was written: a file (or the command line), a 1-based line and column.</summary>
/// <param name="File">The file as shown to the user, or <see cref="CommandLineFile"/> for overrides.</param>
/// <param name="Line">1-based line; for overrides, the 1-based index of the override; 0 when unknown.</param>
/// <param name="Column">1-based column; for overrides, the 1-based character position inside the override.</param>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <summary>The pseudo file name of values that came from command-line overrides.</summary>
    public const string CommandLineFile = "<command line>";

    /// <summary>A location for something that was not written anywhere (e.g. a default value).</summary>
    public static SourceLocation Unknown { get; } = new("<unknown>", 0, 0);

    /// <summary>The location of the <paramref name="index"/>-th (0-based) override, at character <paramref name="column"/>.</summary>
    public static SourceLocation CommandLine(int index, int column = 1) => new(CommandLineFile, index + 1, column);

    /// <summary>Formats as <c>file:line:col</c>, the form editors and terminals turn into links.</summary>
    public override string ToString() => Line <= 0 ? File : $"{File}:{Line}:{Column}";
}
