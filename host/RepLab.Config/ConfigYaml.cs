using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace RepLab.Config;

/// <summary>Reads YAML text into a <see cref="ConfigNode"/> tree and writes a tree back as canonical YAML.</summary>
public static partial class ConfigYaml
{
    /// <summary>
    /// Parses one YAML document. Anchors and aliases resolve, merge keys (<c>&lt;&lt;:</c>) merge, duplicate keys are errors.
    /// An empty document is an empty map.
    /// </summary>
    /// <param name="text">The YAML text.</param>
    /// <param name="file">The file name used in locations and messages.</param>
    /// <exception cref="ConfigException">On YAML syntax errors, duplicate keys, unknown aliases, several documents.</exception>
    public static ConfigNode Parse(string text, string file) =>
        Parse(text, (line, column) => new SourceLocation(file, line, column));

    /// <summary>Parses with a custom mapping from YAML positions to locations (command-line overrides use it).</summary>
    internal static ConfigNode Parse(string text, Func<int, int, SourceLocation> locate)
    {
        var reader = new TreeReader(new Parser(new StringReader(text)), locate);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            throw ConfigException.At(locate((int)e.Start.Line, (int)e.Start.Column), reader.CurrentPath,
                "invalid YAML: " + MarkPrefix().Replace(e.Message, ""));
        }
    }

    /// <summary>
    /// Writes a tree as block-style YAML, keys in the order written. Strings that would read back as another type
    /// (or need escaping) are double-quoted, so that <c>Parse(Write(x))</c> gives a tree with the same values.
    /// </summary>
    public static string Write(ConfigNode node)
    {
        var lines = new List<string>();
        WriteBlock(node, 0, lines);
        return string.Join("\n", lines) + "\n";
    }

    private static void WriteBlock(ConfigNode node, int indent, List<string> lines)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case ConfigMap { Count: > 0 } map:
                foreach (var entry in map.Entries)
                {
                    var key = pad + FormatScalar(entry.Key, quoted: true) + ":";
                    if (IsInline(entry.Value))
                        lines.Add(key + " " + FormatInline(entry.Value));
                    else
                    {
                        lines.Add(key);
                        WriteBlock(entry.Value, indent + 2, lines);
                    }
                }
                break;
            case ConfigList { Items.Count: > 0 } list:
                foreach (var item in list.Items)
                {
                    if (IsInline(item))
                    {
                        lines.Add(pad + "- " + FormatInline(item));
                        continue;
                    }
                    // The item's block is written two columns deeper; its first line then takes the "- " in the gap.
                    var start = lines.Count;
                    WriteBlock(item, indent + 2, lines);
                    lines[start] = pad + "- " + lines[start][(indent + 2)..];
                }
                break;
            default:
                lines.Add(pad + FormatInline(node));
                break;
        }
    }

    private static bool IsInline(ConfigNode node) =>
        node is ConfigScalar or ConfigNull or ConfigMap { Count: 0 } or ConfigList { Items.Count: 0 };

    private static string FormatInline(ConfigNode node) => node switch
    {
        ConfigScalar s => FormatScalar(s.Value, s.Quoted),
        ConfigNull => "null",
        ConfigMap => "{}",
        ConfigList => "[]",
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static string FormatScalar(string value, bool quoted)
    {
        var plainSafe = PlainSafe().IsMatch(value) && !value.Contains(": ", StringComparison.Ordinal)
            && !value.Contains(" #", StringComparison.Ordinal) && !value.EndsWith(':');
        // A quoted string may be written plain only if, read back plain, it is still that string.
        if (plainSafe && (!quoted || new ConfigScalar(value, false, SourceLocation.Unknown).IsString && !ConfigScalar.IsNullText(value)))
            return value;
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    [GeneratedRegex(@"^(?![-?:](\s|$))[^\s,\[\]{}#&*!|>'""%@`\\\x00-\x1f][^,\[\]{}\x00-\x1f]*(?<!\s)$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    /// <summary>Builds the tree from YamlDotNet's event stream, which (unlike its object model) tells us where each key is.</summary>
    private sealed class TreeReader(IParser parser, Func<int, int, SourceLocation> locate)
    {
        private const string StrTag = "tag:yaml.org,2002:str";

        /// <summary>Most nodes a document may hold once its aliases are expanded (an experiment has a few hundred).</summary>
        public const long MaxExpandedNodes = 100_000;

        /// <summary>Deepest nesting of maps and lists.</summary>
        public const int MaxDepth = 64;

        private readonly Dictionary<string, ConfigNode> _anchors = new(StringComparer.Ordinal);

        // Nodes each tree stands for with its aliases expanded: aliases share nodes, so an alias of an
        // alias of ... multiplies what every later walk (merge, flatten, hash, print) visits.
        private readonly Dictionary<ConfigNode, long> _expanded = new(ReferenceEqualityComparer.Instance);
        private long _total;
        private int _depth;

        /// <summary>The key path being read; a syntax error is reported against it.</summary>
        public string CurrentPath { get; private set; } = "";

        public ConfigNode ReadStream()
        {
            Expect<StreamStart>();
            if (parser.Current is StreamEnd)
                return new ConfigMap([], locate(1, 1));
            Expect<DocumentStart>();
            var root = ReadNode("");
            Expect<DocumentEnd>();
            if (parser.Current is DocumentStart second)
                throw Error(second.Start, "", "a second YAML document ('---'); expected one document per file");
            return root is ConfigNull ? new ConfigMap([], root.Location) : root;
        }

        private void Expect<T>()
            where T : ParsingEvent
        {
            if (parser.Current is null && !parser.MoveNext())
                throw new YamlException("unexpected end of input");
            if (parser.Current is not T)
                throw new YamlException(parser.Current!.Start, parser.Current.End, $"unexpected {parser.Current.GetType().Name}");
            parser.MoveNext();
        }

        private ParsingEvent Next()
        {
            var current = parser.Current!;
            try
            {
                parser.MoveNext();
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner fails this way on some malformed flow collections; report where reading stopped.
                throw new YamlException(current.End, current.End,
                    "the parser stopped after this point; expected well-formed YAML (is a '[', '{' or quote left open?)");
            }
            return current;
        }

        private SourceLocation Loc(Mark mark) => locate((int)mark.Line, (int)mark.Column);

        private ConfigException Error(Mark mark, string path, string message) => ConfigException.At(Loc(mark), path, message);

        private ConfigNode ReadNode(string path)
        {
            CurrentPath = path;
            ConfigNode node;
            var ev = Next();
            if (ev is SequenceStart or MappingStart && ++_depth > MaxDepth)
                throw Error(ev.Start, path, $"maps and lists nested more than {MaxDepth} deep; expected an experiment's few levels");
            switch (ev)
            {
                case AnchorAlias alias:
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw Error(alias.Start, path,
                            $"unknown alias '*{alias.Value.Value}'; expected the name of an anchor defined above" +
                            DidYouMean.Hint(alias.Value.Value, _anchors.Keys));
                    }
                    Count(alias.Start, path, _expanded[target]);
                    return target;
                case Scalar scalar:
                    var quoted = scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == StrTag);
                    node = !quoted && ConfigScalar.IsNullText(scalar.Value)
                        ? new ConfigNull(Loc(scalar.Start))
                        : new ConfigScalar(scalar.Value, quoted, Loc(scalar.Start));
                    _expanded[node] = 1;
                    Count(scalar.Start, path, 1);
                    break;
                case SequenceStart sequence:
                    var items = new List<ConfigNode>();
                    while (parser.Current is not SequenceEnd)
                        items.Add(ReadNode(KeyPath.Append(path, items.Count)));
                    Next();
                    node = new ConfigList(items, Loc(sequence.Start));
                    _expanded[node] = 1 + items.Sum(i => _expanded[i]);
                    _depth--;
                    break;
                case MappingStart mapping:
                    node = ReadMap(path, mapping);
                    _expanded[node] = 1 + ((ConfigMap)node).Entries.Sum(e => _expanded[e.Value]);
                    _depth--;
                    break;
                default:
                    throw Error(ev.Start, path, $"unexpected YAML event {ev.GetType().Name}");
            }
            var anchor = ((NodeEvent)ev).Anchor;
            if (!anchor.IsEmpty)
                _anchors[anchor.Value] = node;
            CurrentPath = path;
            return node;
        }

        /// <summary>Adds <paramref name="nodes"/> to the document's expanded size; past the bound, an error at <paramref name="mark"/>.</summary>
        private void Count(Mark mark, string path, long nodes)
        {
            _total += nodes;
            if (_total > MaxExpandedNodes)
                throw Error(mark, path, $"the document expands past {MaxExpandedNodes:N0} values once its aliases are resolved (aliases of aliases multiply); expected an experiment of a few hundred");
        }

        private ConfigMap ReadMap(string path, MappingStart mapping)
        {
            var entries = new List<ConfigEntry>();
            var merged = new List<ConfigEntry>();
            var mergeAt = -1;
            while (parser.Current is not MappingEnd)
            {
                var keyEvent = parser.Current!;
                if (keyEvent is not Scalar keyScalar)
                    throw Error(keyEvent.Start, path, "a key that is a map, list or alias; expected a plain name");
                Next();
                var key = keyScalar.Value;
                var keyLocation = Loc(keyScalar.Start);
                if (keyScalar.Style == ScalarStyle.Plain && key == "<<")
                {
                    mergeAt = entries.Count;
                    var sourceEvent = parser.Current!;
                    var source = ReadNode(path);
                    var sources = source is ConfigList list ? list.Items : [source];
                    foreach (var s in sources)
                    {
                        if (s is not ConfigMap sourceMap)
                            throw Error(sourceEvent.Start, path, $"merge key '<<' got {s.Describe()}; expected a map or a list of maps");
                        // The first source that names a key wins, as the YAML merge-key spec says.
                        merged.AddRange(sourceMap.Entries.Where(e => merged.All(m => m.Key != e.Key)));
                    }
                    continue;
                }
                var childPath = KeyPath.Append(path, key);
                var previous = entries.Find(e => e.Key == key);
                if (previous is not null)
                {
                    throw Error(keyScalar.Start, childPath,
                        $"duplicate key '{key}' (first written at line {previous.KeyLocation.Line}); expected each key once per map");
                }
                entries.Add(new ConfigEntry(key, keyLocation, ReadNode(childPath)));
                CurrentPath = childPath;
            }
            Next();
            if (mergeAt >= 0)
            {
                // Keys written explicitly override merged ones.
                entries.InsertRange(mergeAt, merged.Where(m => entries.All(e => e.Key != m.Key)));
            }
            return new ConfigMap(entries, Loc(mapping.Start));
        }
    }
}
