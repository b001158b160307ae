using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RepLab.Config;

/// <summary>
/// The fully resolved configuration of one trial: defaults layered, overrides applied, references resolved.
/// It is printed by <c>replab config</c>, saved with every run and hashed to identify the trial.
/// </summary>
public sealed class ResolvedConfig
{
    /// <summary>Wraps a resolved tree.</summary>
    /// <param name="root">The resolved tree.</param>
    /// <param name="sources">Full paths of the files it was composed from, in the order they were read.</param>
    public ResolvedConfig(ConfigMap root, IReadOnlyList<string>? sources = null)
    {
        Root = root;
        Sources = sources ?? [];
    }

    /// <summary>The resolved tree.</summary>
    public ConfigMap Root { get; }

    /// <summary>Full paths of the files the config was composed from, in the order they were read.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The node at a dotted key path (list items by index), or null when absent.</summary>
    public ConfigNode? Get(string keyPath)
    {
        ConfigNode? node = Root;
        foreach (var segment in KeyPath.Split(keyPath))
        {
            node = node switch
            {
                ConfigMap map => map[segment],
                ConfigList list when int.TryParse(segment, out var i) && i >= 0 && i < list.Items.Count => list.Items[i],
                _ => null,
            };
        }
        return node;
    }

    /// <summary>Block-style YAML, keys in the order written; reading it back gives the same <see cref="Hash"/>.</summary>
    public string ToYaml() => ConfigYaml.Write(Root);

    /// <summary>
    /// JSON with map keys sorted ordinally and scalars normalised by value (<c>1e-3</c> and <c>0.001</c> are the same
    /// number, <c>True</c> and <c>true</c> the same boolean, <c>"1"</c> a string); the input of <see cref="Hash"/>.
    /// </summary>
    public string CanonicalJson() => CanonicalJson(Root);

    /// <summary>The canonical JSON of any node (see <see cref="CanonicalJson()"/>): two values are the same setting when these are equal.</summary>
    public static string CanonicalJson(ConfigNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteCanonical(writer, node);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// Sections and keys that do not change a trial's results, left out of <see cref="Hash"/>: the whole
    /// <c>tracking:</c> and <c>sweep:</c> sections, <c>trainer.threads</c>, and the distributed settings that
    /// only say how ranks meet (<c>timeout</c>, <c>port</c>); <c>trainer.device</c> counts without its index
    /// (<c>cuda:1</c> hashes as <c>cuda</c>). <c>trainer.distributed.processes</c>, <c>sync-batch-norm</c> and
    /// <c>backend</c> stay: they change per-rank batch norm or the order floating-point sums are taken in.
    /// </summary>
    public static readonly IReadOnlyList<string> NotHashed = ["tracking", "sweep", "trainer.threads", "trainer.distributed.timeout", "trainer.distributed.port"];

    /// <summary>The tree <see cref="Hash"/> reads: <see cref="Root"/> without <see cref="NotHashed"/>, the device index dropped.</summary>
    public ConfigMap HashedTree()
    {
        var root = Root;
        foreach (var path in NotHashed) root = Without(root, KeyPath.Split(path).ToList());
        if (Get("trainer.device") is ConfigScalar { Value: var device } d && device.StartsWith("cuda:", StringComparison.Ordinal))
            root = Replace(root, ["trainer", "device"], new ConfigScalar("cuda", false, d.Location));
        return root;
    }

    private static ConfigMap Without(ConfigMap map, IReadOnlyList<string> path)
    {
        if (map.Find(path[0]) is not { } entry) return map;
        if (path.Count == 1) return new ConfigMap(map.Entries.Where(e => e.Key != path[0]), map.Location);
        if (entry.Value is not ConfigMap inner) return map;
        return new ConfigMap(map.Entries.Select(e => e.Key == path[0] ? e with { Value = Without(inner, path.Skip(1).ToList()) } : e), map.Location);
    }

    private static ConfigMap Replace(ConfigMap map, IReadOnlyList<string> path, ConfigNode value) =>
        new(map.Entries.Select(e => e.Key != path[0] ? e
            : e with { Value = path.Count == 1 ? value : e.Value is ConfigMap inner ? Replace(inner, path.Skip(1).ToList(), value) : e.Value }), map.Location);

    /// <summary>This config without its top-level <paramref name="section"/> (a trial's config is its experiment's without <c>sweep:</c>).</summary>
    public ResolvedConfig WithoutSection(string section) => Root.Find(section) is null ? this : new ResolvedConfig(Without(Root, [section]), Sources);

    /// <summary>
    /// SHA-256 of the canonical JSON of <see cref="HashedTree"/>, 64 lowercase hex digits: independent of key order,
    /// formatting, comments and defaults layering, and of the settings that do not change results (<see cref="NotHashed"/>).
    /// </summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(HashedTree()))));

    /// <summary>The first 16 hex digits of <see cref="Hash"/>, for display and run names.</summary>
    public string ShortHash() => Hash()[..16];

    /// <summary>Every leaf as (dotted key path, value text) in the order written; empty maps and lists appear as <c>{}</c> and <c>[]</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Flatten()
    {
        var result = new List<KeyValuePair<string, string>>();
        Flatten(Root, "", result);
        return result;
    }

    private static void Flatten(ConfigNode node, string path, List<KeyValuePair<string, string>> result)
    {
        switch (node)
        {
            case ConfigMap { Count: > 0 } map:
                foreach (var e in map.Entries)
                    Flatten(e.Value, KeyPath.Append(path, e.Key), result);
                break;
            case ConfigList { Items.Count: > 0 } list:
                for (var i = 0; i < list.Items.Count; i++)
                    Flatten(list.Items[i], KeyPath.Append(path, i), result);
                break;
            case ConfigMap:
                result.Add(new(path, "{}"));
                break;
            case ConfigList:
                result.Add(new(path, "[]"));
                break;
            case ConfigScalar s:
                result.Add(new(path, s.Value));
                break;
            default:
                result.Add(new(path, "null"));
                break;
        }
    }

    private static void WriteCanonical(Utf8JsonWriter writer, ConfigNode node)
    {
        switch (node)
        {
            case ConfigMap map:
                writer.WriteStartObject();
                foreach (var e in map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(e.Key);
                    WriteCanonical(writer, e.Value);
                }
                writer.WriteEndObject();
                break;
            case ConfigList list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                    WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            case ConfigNull:
                writer.WriteNullValue();
                break;
            case ConfigScalar s when s.TryGetBool(out var b):
                writer.WriteBooleanValue(b);
                break;
            case ConfigScalar s when s.TryGetDouble(out var d):
                writer.WriteRawValue(CanonicalNumber(s, d));
                break;
            case ConfigScalar s:
                writer.WriteStringValue(s.Value);
                break;
        }
    }

    private static string CanonicalNumber(ConfigScalar s, double d)
    {
        // JSON has no infinities or NaN; a tagged string keeps them apart from every number.
        if (double.IsNaN(d))
            return "\"!!float .nan\"";
        if (double.IsInfinity(d))
            return d > 0 ? "\"!!float .inf\"" : "\"!!float -.inf\"";
        // Integers beyond 2^53 would lose digits through a double, so they keep their exact value.
        if (s.TryGetInteger(out var integer))
            return integer.ToString(CultureInfo.InvariantCulture);
        if (d == Math.Floor(d) && Math.Abs(d) < 9e15)
            return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}
