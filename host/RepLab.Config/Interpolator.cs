using System.Text;
using System.Text.RegularExpressions;

namespace RepLab.Config;

/// <summary>
/// Resolves <c>${a.b}</c> references against the whole tree. A scalar that is exactly one reference takes the
/// referenced node (keeping its type, or being a whole map or list); references embedded in text become strings.
/// <c>\${</c> writes a literal <c>${</c>. The result is held to <see cref="ConfigLimits"/> as the YAML was: a reference
/// shares the node it names, so references to references multiply what later walks visit, and text made of references
/// can double at each step.
/// </summary>
public sealed partial class Interpolator
{
    private readonly ConfigNode _root;
    private readonly Dictionary<string, ConfigNode> _resolved = new(StringComparer.Ordinal);
    private readonly List<string> _inProgress = [];
    private readonly ExpandedSizes _sizes = new();
    private bool _referencesResolved;

    private Interpolator(ConfigNode root) => _root = root;

    /// <summary>Returns the tree with every reference replaced.</summary>
    /// <exception cref="ConfigException">For references to missing keys, cycles, maps/lists embedded in text, or a result past <see cref="ConfigLimits"/>.</exception>
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
        if (_inProgress.Count == ConfigLimits.MaxReferenceChain)
        {
            throw ConfigException.At(node.Location, path,
                $"resolving this value goes through more than {ConfigLimits.MaxReferenceChain} nested values and references (a ${{...}} naming a value that holds a ${{...}} naming ...); expected references a few steps deep");
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
        if (result is ConfigMap or ConfigList)
            CheckSize(path, result);
        _resolved[path] = result;
        return result;
    }

    /// <summary>A map or list resolved at <paramref name="path"/>, held to the document's bounds with the nodes its references share expanded.</summary>
    private void CheckSize(string path, ConfigNode node)
    {
        var size = _sizes.Of(node);
        var (past, expected) = size.Values > ConfigLimits.MaxExpandedValues ? ($"past {ConfigLimits.MaxExpandedValues:N0} values", "a few hundred values")
            : size.Text > ConfigLimits.MaxExpandedText ? ($"past {ConfigLimits.MaxExpandedText:N0} characters of keys and values", "a few KB")
            : size.Depth > ConfigLimits.MaxDepth ? ($"to maps and lists nested more than {ConfigLimits.MaxDepth} deep", "a few levels")
            : (null, null);
        if (past is null)
            return;
        // Each file was held to the bounds as it was read: past them now, the references or the merge of files made it so.
        var cause = _referencesResolved
            ? " once its ${...} references are resolved (a reference repeats what it names, so references to references multiply)"
            : " once its defaults files and overrides are merged";
        throw ConfigException.At(node.Location, path,
            $"{(path.Length == 0 ? "the document" : "this value")} grows {past}{cause}; expected an experiment of {expected}");
    }

    private ConfigNode Interpolate(string path, ConfigScalar scalar)
    {
        _referencesResolved = true;
        var whole = WholeReference().Match(scalar.Value);
        if (whole.Success)
            return Lookup(whole.Groups[1].Value.Trim(), path, scalar);
        // Built piece by piece, so that text that doubles at each reference stops at the bound, not at the machine's memory.
        var text = new StringBuilder();
        var end = 0;
        foreach (Match m in Reference().Matches(scalar.Value))
        {
            var target = Lookup(m.Groups[1].Value.Trim(), path, scalar);
            text.Append(scalar.Value, end, m.Index - end).Append(target switch
            {
                ConfigScalar s => s.Value,
                ConfigNull => "null",
                _ => throw ConfigException.At(scalar.Location, path,
                    $"'${{{m.Groups[1].Value}}}' is {target.Describe()} and cannot be embedded in text; expected a reference to a single value (or the reference alone as the whole value)"),
            });
            end = m.Index + m.Length;
            CheckLength(text, path, scalar);
        }
        text.Append(scalar.Value, end, scalar.Value.Length - end);
        CheckLength(text, path, scalar);
        return new ConfigScalar(text.ToString(), true, scalar.Location);
    }

    private static void CheckLength(StringBuilder text, string path, ConfigScalar site)
    {
        if (text.Length > ConfigLimits.MaxScalarLength)
        {
            throw ConfigException.At(site.Location, path,
                $"its ${{...}} references make a value of more than {ConfigLimits.MaxScalarLength:N0} characters, the most one may hold; expected a name, a path or a number");
        }
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
