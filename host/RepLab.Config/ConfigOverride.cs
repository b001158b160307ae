using System.Text.RegularExpressions;

namespace RepLab.Config;

/// <summary>What a command-line override does.</summary>
public enum OverrideKind
{
    /// <summary><c>a.b=value</c>: change a key that exists.</summary>
    Set,

    /// <summary><c>+a.b=value</c>: add a key that does not exist (or append to a list at index = count).</summary>
    Add,

    /// <summary><c>~a.b</c>: delete a key that exists.</summary>
    Remove,
}

/// <summary>One parsed command-line override.</summary>
/// <param name="Kind">Set, add or remove.</param>
/// <param name="Path">The dotted key path.</param>
/// <param name="Value">The value parsed as YAML (flow scalars, <c>[a, b]</c>, <c>{k: v}</c>); null for removals.</param>
/// <param name="Location">The override's position on the command line.</param>
public sealed partial record ConfigOverride(OverrideKind Kind, string Path, ConfigNode? Value, SourceLocation Location)
{
    /// <summary>Parses <c>a.b=value</c>, <c>+a.b=value</c> or <c>~a.b</c>.</summary>
    /// <param name="text">The override as typed.</param>
    /// <param name="index">0-based position among the overrides, used as its location's line.</param>
    /// <exception cref="ConfigException">When the override is malformed.</exception>
    public static ConfigOverride Parse(string text, int index)
    {
        var location = SourceLocation.CommandLine(index);
        var kind = text.StartsWith('+') ? OverrideKind.Add : text.StartsWith('~') ? OverrideKind.Remove : OverrideKind.Set;
        var body = kind == OverrideKind.Set ? text : text[1..];
        var offset = text.Length - body.Length;
        var equals = body.IndexOf('=');
        if (kind == OverrideKind.Remove)
        {
            if (equals >= 0)
                throw ConfigException.At(location, body[..equals], $"override '{text}' deletes a key and takes no value; expected '~key.path'");
            CheckPath(body, text, location);
            return new ConfigOverride(kind, body, null, location);
        }
        if (equals < 0)
            throw ConfigException.At(location, body, $"override '{text}' has no '='; expected 'key.path=value', '+key.path=value' or '~key.path'");
        var path = body[..equals];
        CheckPath(path, text, location);
        var valueText = body[(equals + 1)..];
        var valueStart = offset + equals + 2;
        ConfigNode value;
        try
        {
            value = valueText.Length == 0
                // An empty value is an empty string, as in Hydra; a null must be written "null".
                ? new ConfigScalar("", true, SourceLocation.CommandLine(index, valueStart))
                : ConfigYaml.Parse(valueText, (line, column) => SourceLocation.CommandLine(index, valueStart + column - 1));
        }
        catch (ConfigException e)
        {
            // The value is parsed on its own; its errors belong to the override's key path.
            throw new ConfigException(e.Errors.Select(error => error with { KeyPath = path }));
        }
        return new ConfigOverride(kind, path, value, location);
    }

    private static void CheckPath(string path, string text, SourceLocation location)
    {
        if (!PathPattern().IsMatch(path))
            throw ConfigException.At(location, path, $"override '{text}' has a malformed key path; expected names or list indices joined by '.', like 'trainer.epochs'");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
    private static partial Regex PathPattern();

    /// <summary>Applies the overrides in order to <paramref name="root"/>.</summary>
    /// <exception cref="ConfigException">Listing every override that names a missing key, adds an existing one, or indexes out of range.</exception>
    public static ConfigMap ApplyAll(ConfigMap root, IEnumerable<ConfigOverride> overrides)
    {
        var errors = new List<ConfigError>();
        foreach (var o in overrides)
        {
            try
            {
                root = (ConfigMap)o.Apply(root, KeyPath.Split(o.Path), 0, "");
            }
            catch (ConfigException e)
            {
                errors.AddRange(e.Errors);
            }
        }
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return root;
    }

    private ConfigNode Apply(ConfigNode node, string[] segments, int depth, string parentPath) => node switch
    {
        ConfigMap map => ApplyInMap(map, segments, depth, parentPath),
        ConfigList list => ApplyInList(list, segments, depth, parentPath),
        _ => throw ConfigException.At(Location, KeyPath.Append(parentPath, segments[depth]),
            $"'{parentPath}' is {node.Describe()} (written at {node.Location}); expected a map or list to hold '{segments[depth]}'"),
    };

    /// <summary>The override at key <c>segments[depth]</c> of <paramref name="map"/> (or below it).</summary>
    private ConfigMap ApplyInMap(ConfigMap map, string[] segments, int depth, string parentPath)
    {
        var segment = segments[depth];
        var path = KeyPath.Append(parentPath, segment);
        var last = depth == segments.Length - 1;
        var entry = map.Find(segment);
        if (entry is null && !(Kind == OverrideKind.Add))
        {
            var sibling = DidYouMean.Suggest(segment, map.Keys);
            throw ConfigException.At(Location, path,
                $"no key '{segment}' to {(Kind == OverrideKind.Remove ? "delete" : "set")}" +
                (sibling is null ? "" : $" (did you mean '{KeyPath.Append(parentPath, sibling)}'?)") +
                $"; expected one of: {string.Join(", ", map.Keys)}" +
                (Kind == OverrideKind.Set ? $"; to add a new key write '+{Path}=...'" : ""));
        }
        if (last && entry is not null && Kind == OverrideKind.Add)
            throw ConfigException.At(Location, path, $"key '{path}' already exists; expected a new key with '+' (to change it write '{Path}=...')");
        ConfigNode? replacement;
        if (!last)
            replacement = Apply(entry?.Value ?? new ConfigMap([], Location), segments, depth + 1, path);
        else if (Kind == OverrideKind.Remove || Value is ConfigNull)
            replacement = null;
        else
            replacement = entry is null ? ConfigMerge.StripNulls(Value!) : ConfigMerge.Merge(entry.Value, Value!);
        var entries = map.Entries.ToList();
        var index = entries.FindIndex(e => e.Key == segment);
        if (replacement is null)
            entries.RemoveAt(index);
        else if (index >= 0)
            entries[index] = entries[index] with { Value = replacement };
        else
            entries.Add(new ConfigEntry(segment, Location, replacement));
        return new ConfigMap(entries, map.Location);
    }

    /// <summary>The override at index <c>segments[depth]</c> of <paramref name="list"/> (or below it); '+' at the end inserts.</summary>
    private ConfigList ApplyInList(ConfigList list, string[] segments, int depth, string parentPath)
    {
        var segment = segments[depth];
        var last = depth == segments.Length - 1;
        var items = list.Items.ToList();
        var appending = last && Kind == OverrideKind.Add;
        var max = appending ? items.Count : items.Count - 1;
        if (!int.TryParse(segment, out var i) || i < 0 || i > max)
            throw ConfigException.At(Location, KeyPath.Append(parentPath, segment),
                $"'{parentPath}' is a list of {items.Count} items; expected an index from 0 to {max}, got '{segment}'");
        if (!last)
            items[i] = Apply(items[i], segments, depth + 1, KeyPath.Append(parentPath, segment));
        else if (appending)
            items.Insert(i, ConfigMerge.StripNulls(Value!));
        else if (Kind == OverrideKind.Remove)
            items.RemoveAt(i);
        else
            items[i] = ConfigMerge.Merge(items[i], Value!);
        return new ConfigList(items, list.Location);
    }
}
