using System.Text.RegularExpressions;

namespace RepLab.Config;

/// <summary>
/// Resolves <c>${a.b}</c> references against the whole tree. A scalar that is exactly one reference takes the
/// referenced node (keeping its type, or being a whole map or list); references embedded in text become strings.
/// <c>\${</c> writes a literal <c>${</c>.
/// </summary>
public sealed partial class Interpolator
{
    private readonly ConfigNode _root;
    private readonly Dictionary<string, ConfigNode> _resolved = new(StringComparer.Ordinal);
    private readonly List<string> _inProgress = [];

    private Interpolator(ConfigNode root) => _root = root;

    /// <summary>Returns the tree with every reference replaced.</summary>
    /// <exception cref="ConfigException">For references to missing keys, cycles, or maps/lists embedded in text.</exception>
    public static ConfigNode Resolve(ConfigNode root) => Unescape(new Interpolator(root).ResolveAt("", root));

    private ConfigNode ResolveAt(string path, ConfigNode node)
    {
        if (_resolved.TryGetValue(path, out var done))
            return done;
        if (_inProgress.Contains(path))
        {
            var chain = _inProgress.Skip(_inProgress.IndexOf(path)).Append(path).Select(p => p.Length == 0 ? "(top level)" : p);
            throw ConfigException.At(node.Location, path,
                $"interpolation cycle: {string.Join(" -> ", chain)}; expected references that end in a value");
        }
        _inProgress.Add(path);
        var result = node switch
        {
            ConfigMap map => new ConfigMap(
                map.Entries.Select(e => e with { Value = ResolveAt(KeyPath.Append(path, e.Key), e.Value) }).ToArray(),
                map.Location),
            ConfigList list => new ConfigList(list.Items.Select((item, i) => ResolveAt(KeyPath.Append(path, i), item)).ToArray(), list.Location),
            ConfigScalar scalar when Reference().IsMatch(scalar.Value) => Interpolate(path, scalar),
            _ => node,
        };
        _inProgress.RemoveAt(_inProgress.Count - 1);
        _resolved[path] = result;
        return result;
    }

    private ConfigNode Interpolate(string path, ConfigScalar scalar)
    {
        var whole = WholeReference().Match(scalar.Value);
        if (whole.Success)
            return Lookup(whole.Groups[1].Value.Trim(), path, scalar);
        var text = Reference().Replace(scalar.Value, m =>
        {
            var target = Lookup(m.Groups[1].Value.Trim(), path, scalar);
            return target switch
            {
                ConfigScalar s => s.Value,
                ConfigNull => "null",
                _ => throw ConfigException.At(scalar.Location, path,
                    $"'${{{m.Groups[1].Value}}}' is {target.Describe()} and cannot be embedded in text; expected a reference to a single value (or the reference alone as the whole value)"),
            };
        });
        return new ConfigScalar(text, true, scalar.Location);
    }

    private ConfigNode Lookup(string reference, string path, ConfigScalar site)
    {
        var segments = KeyPath.Split(reference);
        if (segments.Length == 0 || segments.Any(s => s.Length == 0))
            throw ConfigException.At(site.Location, path, $"malformed reference '${{{reference}}}'; expected a dotted key path like '${{trainer.epochs}}'");
        var node = _root;
        var nodePath = "";
        foreach (var segment in segments)
        {
            // Walking through a value that is itself a reference means walking through what it refers to.
            if (node is ConfigScalar s && Reference().IsMatch(s.Value))
                node = ResolveAt(nodePath, node);
            ConfigNode? child = node switch
            {
                ConfigMap map => map[segment],
                ConfigList list => int.TryParse(segment, out var i) && i >= 0 && i < list.Items.Count ? list.Items[i] : null,
                _ => null,
            };
            if (child is null)
            {
                var where = nodePath.Length == 0 ? "the top level" : $"'{nodePath}'";
                var expected = node switch
                {
                    ConfigMap map => $"one of: {string.Join(", ", map.Keys)}" + DidYouMean.Hint(segment, map.Keys),
                    ConfigList list => $"an index from 0 to {list.Items.Count - 1}",
                    _ => $"a map or list at {where}, which is {node.Describe()}",
                };
                throw ConfigException.At(site.Location, path,
                    $"reference '${{{reference}}}' not found: {where} has no '{segment}'; expected {expected}");
            }
            node = child;
            nodePath = KeyPath.Append(nodePath, segment);
        }
        return ResolveAt(nodePath, node);
    }

    private static ConfigNode Unescape(ConfigNode node) => node switch
    {
        ConfigMap map => new ConfigMap(map.Entries.Select(e => e with { Value = Unescape(e.Value) }), map.Location),
        ConfigList list => new ConfigList(list.Items.Select(Unescape), list.Location),
        ConfigScalar s when s.Value.Contains("\\${", StringComparison.Ordinal) =>
            new ConfigScalar(s.Value.Replace("\\${", "${", StringComparison.Ordinal), true, s.Location),
        _ => node,
    };

    [GeneratedRegex(@"(?<!\\)\$\{([^}]*)\}")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^\$\{([^}]*)\}$")]
    private static partial Regex WholeReference();
}
