using System.Globalization;
using System.Text.RegularExpressions;

namespace RepLab.Config;

/// <summary>
/// A node of a configuration tree read from YAML: <see cref="ConfigMap"/>, <see cref="ConfigList"/>,
/// <see cref="ConfigScalar"/> or <see cref="ConfigNull"/>. Nodes are immutable and remember where they were written,
/// so that any later error (binding, validation) can name the file, line and column.
/// </summary>
public abstract class ConfigNode
{
    private protected ConfigNode(SourceLocation location) => Location = location;

    /// <summary>Where the node was written.</summary>
    public SourceLocation Location { get; }

    /// <summary>How the node is described in messages ("a map", "'abc'", ...).</summary>
    public abstract string Describe();
}

/// <summary>One key of a <see cref="ConfigMap"/>, with the location of the key itself.</summary>
/// <param name="Key">The key as written.</param>
/// <param name="KeyLocation">Where the key was written (unknown-key errors point here).</param>
/// <param name="Value">The value.</param>
public sealed record ConfigEntry(string Key, SourceLocation KeyLocation, ConfigNode Value);

/// <summary>A mapping; keys keep the order in which they were written.</summary>
public sealed class ConfigMap : ConfigNode
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a map; keys must be unique.</summary>
    public ConfigMap(IEnumerable<ConfigEntry> entries, SourceLocation location)
        : base(location)
    {
        Entries = entries.ToArray();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Entries.Count; i++)
        {
            if (!_index.TryAdd(Entries[i].Key, i))
                throw new ArgumentException($"duplicate key '{Entries[i].Key}'", nameof(entries));
        }
    }

    /// <summary>The entries in the order written.</summary>
    public IReadOnlyList<ConfigEntry> Entries { get; }

    /// <summary>The keys in the order written.</summary>
    public IEnumerable<string> Keys => Entries.Select(e => e.Key);

    /// <summary>Number of entries.</summary>
    public int Count => Entries.Count;

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public ConfigNode? this[string key] => _index.TryGetValue(key, out var i) ? Entries[i].Value : null;

    /// <summary>The entry of <paramref name="key"/>, or null when absent.</summary>
    public ConfigEntry? Find(string key) => _index.TryGetValue(key, out var i) ? Entries[i] : null;

    /// <inheritdoc/>
    public override string Describe() => "a map";
}

/// <summary>A sequence.</summary>
public sealed class ConfigList : ConfigNode
{
    /// <summary>Creates a list.</summary>
    public ConfigList(IEnumerable<ConfigNode> items, SourceLocation location)
        : base(location) => Items = items.ToArray();

    /// <summary>The items in order.</summary>
    public IReadOnlyList<ConfigNode> Items { get; }

    /// <inheritdoc/>
    public override string Describe() => "a list";
}

/// <summary>An explicit YAML null (<c>null</c>, <c>~</c> or nothing). In a map it removes the key when layers merge.</summary>
public sealed class ConfigNull : ConfigNode
{
    /// <summary>Creates a null written at <paramref name="location"/>.</summary>
    public ConfigNull(SourceLocation location)
        : base(location)
    {
    }

    /// <inheritdoc/>
    public override string Describe() => "null";
}

/// <summary>
/// A scalar as written. Its type follows the YAML 1.2 core schema: unquoted <c>true</c>/<c>false</c> are booleans,
/// unquoted numbers (<c>1e-3</c>, <c>0x10</c>, <c>.inf</c>) are numbers, everything else and anything quoted is a string
/// (so <c>"1"</c> stays a string).
/// </summary>
public sealed partial class ConfigScalar : ConfigNode
{
    /// <summary>Creates a scalar.</summary>
    public ConfigScalar(string value, bool quoted, SourceLocation location)
        : base(location)
    {
        Value = value;
        Quoted = quoted;
    }

    /// <summary>The text of the scalar (without quotes).</summary>
    public string Value { get; }

    /// <summary>Whether it was quoted (or a block scalar, or tagged <c>!!str</c>), which makes it a string whatever its text.</summary>
    public bool Quoted { get; }

    /// <summary>Whether the scalar is a boolean.</summary>
    public bool IsBool => TryGetBool(out _);

    /// <summary>Whether the scalar is a number (integer or float).</summary>
    public bool IsNumber => TryGetDouble(out _);

    /// <summary>Whether the scalar is a string (quoted, or neither boolean nor number).</summary>
    public bool IsString => Quoted || (!IsBool && !IsNumber);

    /// <summary>Reads an unquoted <c>true</c>/<c>false</c> (any of the core schema's spellings).</summary>
    public bool TryGetBool(out bool value)
    {
        value = false;
        if (Quoted)
            return false;
        switch (Value)
        {
            case "true" or "True" or "TRUE":
                value = true;
                return true;
            case "false" or "False" or "FALSE":
                return true;
            default:
                return false;
        }
    }

    /// <summary>Reads an unquoted integer written as an integer (decimal, <c>0x</c> hex or <c>0o</c> octal).</summary>
    public bool TryGetInteger(out long value)
    {
        value = 0;
        if (Quoted)
            return false;
        if (DecimalInteger().IsMatch(Value))
            return long.TryParse(Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        try
        {
            if (Value.StartsWith("0x", StringComparison.Ordinal) && Value.Length > 2 && Value[2..].All(Uri.IsHexDigit))
            {
                value = Convert.ToInt64(Value[2..], 16);
                return true;
            }
            if (Value.StartsWith("0o", StringComparison.Ordinal) && Value.Length > 2 && Value[2..].All(c => c is >= '0' and <= '7'))
            {
                value = Convert.ToInt64(Value[2..], 8);
                return true;
            }
        }
        catch (OverflowException)
        {
        }
        return false;
    }

    /// <summary>Reads an unquoted number of any spelling as a double.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        if (Quoted)
            return false;
        if (TryGetInteger(out var integer))
        {
            value = integer;
            return true;
        }
        if (FloatPattern().IsMatch(Value))
            return double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        switch (Value)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc/>
    public override string Describe() => Quoted ? $"the string \"{Value}\"" : $"'{Value}'";

    /// <summary>Whether an unquoted scalar with this text is a YAML null.</summary>
    internal static bool IsNullText(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
