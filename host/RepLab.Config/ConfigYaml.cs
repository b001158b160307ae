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
    /// <exception cref="ConfigException">
    /// On YAML syntax errors, duplicate keys, unknown aliases, several documents, and values past <see cref="ConfigLimits"/>.
    /// </exception>
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
    /// The error for a file cut at a size limit, read from its text up to the cut: a value before the cut that breaks a
    /// limit of its own (a value too long, a list too long) is named as the cause; otherwise the error is
    /// <paramref name="message"/> at the place of the cut, with the key being read there.
    /// </summary>
    internal static ConfigException Cut(string text, string file, string message)
    {
        var reader = new TreeReader(new Parser(new StringReader(text)), (line, column) => new SourceLocation(file, line, column));
        try
        {
            reader.ReadStream();
        }
        catch (ConfigException e) when (reader.LimitBroken)
        {
            return e;
        }
        catch (Exception e) when (e is ConfigException or YamlException)
        {
            // The cut itself (a value or bracket left open), or a mistake before it: the size is the first thing to fix.
        }
        var lastLine = text.LastIndexOf('\n');
        var at = new SourceLocation(file, text.Count(c => c == '\n') + 1, text.Length - lastLine);
        return ConfigException.At(at, reader.CurrentPath, message);
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

        private readonly Dictionary<string, ConfigNode> _anchors = new(StringComparer.Ordinal);

        // What each anchored tree stands for with its aliases expanded: aliases share nodes, so an alias of an
        // alias of ... multiplies what every later walk (merge, flatten, hash, print) visits.
        private readonly ExpandedSizes _sizes = new();
        private long _values;
        private long _text;
        private bool _aliased;
        private int _depth;

        /// <summary>The key path being read; a syntax error is reported against it.</summary>
        public string CurrentPath { get; private set; } = "";

        /// <summary>Whether reading stopped at one of <see cref="ConfigLimits"/> (not at a syntax error).</summary>
        public bool LimitBroken { get; private set; }

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

        /// <summary>An error for a value past one of <see cref="ConfigLimits"/>.</summary>
        private ConfigException Limit(Mark mark, string path, string message)
        {
            LimitBroken = true;
            return Error(mark, path, message);
        }

        private ConfigNode ReadNode(string path)
        {
            CurrentPath = path;
            var ev = Next();
            var container = ev is SequenceStart or MappingStart;
            if (container && ++_depth > ConfigLimits.MaxDepth)
                throw Limit(ev.Start, path, $"maps and lists nested more than {ConfigLimits.MaxDepth} deep; expected an experiment's few levels");
            if (container)
                Count(ev.Start, path, new TreeSize(1, 0, 0));
            ConfigNode node = ev switch
            {
                AnchorAlias alias => Alias(alias, path),
                Scalar scalar => ReadScalar(scalar, path),
                SequenceStart sequence => ReadList(path, sequence),
                MappingStart mapping => ReadMap(path, mapping),
                _ => throw Error(ev.Start, path, $"unexpected YAML event {ev.GetType().Name}"),
            };
            if (container)
                _depth--;
            if (ev is NodeEvent { Anchor.IsEmpty: false } anchored)
                _anchors[anchored.Anchor.Value] = node;
            CurrentPath = path;
            return node;
        }

        /// <summary>The anchored tree an alias names, counted as often as it is used.</summary>
        private ConfigNode Alias(AnchorAlias alias, string path)
        {
            if (!_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw Error(alias.Start, path,
                    $"unknown alias '*{alias.Value.Value}'; expected the name of an anchor defined above" +
                    DidYouMean.Hint(alias.Value.Value, _anchors.Keys));
            }
            _aliased = true;
            var size = _sizes.Of(target);
            if (_depth + size.Depth > ConfigLimits.MaxDepth)
                throw Limit(alias.Start, path, $"maps and lists nested more than {ConfigLimits.MaxDepth} deep once aliases are resolved; expected an experiment's few levels");
            Count(alias.Start, path, size);
            return target;
        }

        private ConfigNode ReadScalar(Scalar scalar, string path)
        {
            CheckLength(scalar, path, "value");
            Count(scalar.Start, path, new TreeSize(1, scalar.Value.Length, 0));
            var quoted = scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == StrTag);
            return !quoted && ConfigScalar.IsNullText(scalar.Value)
                ? new ConfigNull(Loc(scalar.Start))
                : new ConfigScalar(scalar.Value, quoted, Loc(scalar.Start));
        }

        private void CheckLength(Scalar scalar, string path, string what)
        {
            if (scalar.Value.Length > ConfigLimits.MaxScalarLength)
                throw Limit(scalar.Start, path, $"a {what} of more than {ConfigLimits.MaxScalarLength:N0} characters, the most one may hold; expected a name, a path or a number");
        }

        /// <summary>Adds <paramref name="size"/> to the document's expanded size; past a bound, an error at <paramref name="mark"/>.</summary>
        private void Count(Mark mark, string path, TreeSize size)
        {
            _values += size.Values;
            _text += size.Text;
            // Without aliases the document holds what it says; with them, name them as the cause.
            var (holds, why) = _aliased
                ? ("expands past", " once its aliases are resolved (aliases of aliases multiply)")
                : ("holds more than", "");
            if (_values > ConfigLimits.MaxExpandedValues)
                throw Limit(mark, path, $"the document {holds} {ConfigLimits.MaxExpandedValues:N0} values{why}; expected an experiment of a few hundred");
            if (_text > ConfigLimits.MaxExpandedText)
                throw Limit(mark, path, $"the document {holds} {ConfigLimits.MaxExpandedText:N0} characters of keys and values{why}; expected an experiment of a few KB");
        }

        private ConfigList ReadList(string path, SequenceStart sequence)
        {
            var items = new List<ConfigNode>();
            while (parser.Current is not SequenceEnd)
            {
                if (items.Count == ConfigLimits.MaxListItems)
                    throw Limit(sequence.Start, path, $"a list of more than {ConfigLimits.MaxListItems:N0} items, the most one may hold; expected a list of a few values");
                items.Add(ReadNode(KeyPath.Append(path, items.Count)));
            }
            Next();
            return new ConfigList(items, Loc(sequence.Start));
        }

        private ConfigMap ReadMap(string path, MappingStart mapping)
        {
            var entries = new List<ConfigEntry>();
            var written = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
            var merged = new List<ConfigEntry>();
            var mergeAt = -1;
            while (parser.Current is not MappingEnd)
            {
                var keyEvent = parser.Current!;
                if (keyEvent is not Scalar keyScalar)
                    throw Error(keyEvent.Start, path, "a key that is a map, list or alias; expected a plain name");
                CheckLength(keyScalar, path, "key");
                var key = keyScalar.Value;
                var merge = keyScalar.Style == ScalarStyle.Plain && key == "<<";
                var childPath = merge ? path : KeyPath.Append(path, key);
                // Named before the value is scanned: an error in it (or a file cut inside it) is reported against the key.
                CurrentPath = childPath;
                Next();
                if (merge)
                {
                    mergeAt = entries.Count;
                    merged = Merge(path, merged);
                    continue;
                }
                if (written.TryGetValue(key, out var previous))
                {
                    throw Error(keyScalar.Start, childPath,
                        $"duplicate key '{key}' (first written at line {previous.KeyLocation.Line}); expected each key once per map");
                }
                if (entries.Count == ConfigLimits.MaxMapKeys)
                    throw Limit(mapping.Start, path, $"a map of more than {ConfigLimits.MaxMapKeys:N0} keys, the most one may hold; expected a section of a few settings");
                Count(keyScalar.Start, childPath, new TreeSize(0, key.Length, 0));
                var entry = new ConfigEntry(key, Loc(keyScalar.Start), ReadNode(childPath));
                entries.Add(entry);
                written[key] = entry;
                CurrentPath = childPath;
            }
            Next();
            if (mergeAt >= 0)
            {
                // Keys written explicitly override merged ones.
                entries.InsertRange(mergeAt, merged.Where(m => !written.ContainsKey(m.Key)));
            }
            return new ConfigMap(entries, Loc(mapping.Start));
        }

        /// <summary>The value of a merge key (<c>&lt;&lt;:</c>, a map or a list of maps) added to <paramref name="merged"/>.</summary>
        private List<ConfigEntry> Merge(string path, List<ConfigEntry> merged)
        {
            var sourceEvent = parser.Current!;
            var source = ReadNode(path);
            var sources = source is ConfigList list ? list.Items : [source];
            var keys = merged.Select(m => m.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var s in sources)
            {
                if (s is not ConfigMap sourceMap)
                    throw Error(sourceEvent.Start, path, $"merge key '<<' got {s.Describe()}; expected a map or a list of maps");
                // The first source that names a key wins, as the YAML merge-key spec says.
                merged.AddRange(sourceMap.Entries.Where(e => keys.Add(e.Key)));
            }
            return merged;
        }
    }
}
