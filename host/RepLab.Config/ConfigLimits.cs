namespace RepLab.Config;

/// <summary>
/// The most an experiment may hold. Each bound is checked where the value is read, before it reaches memory or JSON,
/// and a value past one is an error at its file, line and key that names the bound. The shipped experiments are about
/// 1 KB and a hundred values; these bounds are a thousand times that, so no real experiment meets them while a file
/// built to exhaust the machine (a huge value, a list of millions, aliases or references that multiply) is refused at
/// once.
/// </summary>
public static class ConfigLimits
{
    /// <summary>Bytes of YAML one experiment reads: its file and its defaults files together, each counted every time it is included (1 MiB).</summary>
    public const int MaxSourceBytes = 1 << 20;

    /// <summary>Characters of one value or key, as written or once its <c>${...}</c> references are resolved.</summary>
    public const int MaxScalarLength = 10_000;

    /// <summary>Items of one list.</summary>
    public const int MaxListItems = 10_000;

    /// <summary>Keys of one map.</summary>
    public const int MaxMapKeys = 10_000;

    /// <summary>Values (maps, lists and scalars) of a document, counted with its aliases and <c>${...}</c> references expanded.</summary>
    public const long MaxExpandedValues = 100_000;

    /// <summary>Characters of a document's keys and values together, counted with its aliases and <c>${...}</c> references expanded.</summary>
    public const long MaxExpandedText = 4_000_000;

    /// <summary>Deepest nesting of maps and lists, with aliases and <c>${...}</c> references expanded.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Deepest chain of values being resolved at once: the nesting that leads to a <c>${...}</c> reference, then the
    /// value it names, and any reference inside that, and so on.
    /// </summary>
    public const int MaxReferenceChain = 256;
}

/// <summary>What a tree stands for once its shared subtrees are expanded: values, characters of keys and scalars, depth of maps and lists.</summary>
internal readonly record struct TreeSize(long Values, long Text, int Depth)
{
    /// <summary>A container holding <paramref name="children"/>.</summary>
    public static TreeSize Container(IEnumerable<TreeSize> children)
    {
        var (values, text, depth) = (1L, 0L, 0);
        foreach (var c in children)
        {
            values += c.Values;
            text += c.Text;
            depth = Math.Max(depth, c.Depth);
        }
        return new TreeSize(values, text, depth + 1);
    }
}

/// <summary>
/// Sizes of the nodes of trees that share subtrees (YAML aliases, whole <c>${...}</c> references): a shared subtree counts
/// every time it is reached, as every later walk (merge, hash, print, bind) meets it. Measured once a node, by reference.
/// </summary>
internal sealed class ExpandedSizes
{
    private readonly Dictionary<ConfigNode, TreeSize> _sizes = new(ReferenceEqualityComparer.Instance);

    /// <summary>The expanded size of <paramref name="node"/> (its children's sizes remembered from before, or measured now).</summary>
    public TreeSize Of(ConfigNode node)
    {
        if (_sizes.TryGetValue(node, out var size)) return size;
        size = node switch
        {
            ConfigMap map => TreeSize.Container(map.Entries.Select(WithKey)),
            ConfigList list => TreeSize.Container(list.Items.Select(Of)),
            ConfigScalar scalar => new TreeSize(1, scalar.Value.Length, 0),
            _ => new TreeSize(1, 0, 0),
        };
        _sizes[node] = size;
        return size;
    }

    private TreeSize WithKey(ConfigEntry entry)
    {
        var value = Of(entry.Value);
        return value with { Text = value.Text + entry.Key.Length };
    }
}
