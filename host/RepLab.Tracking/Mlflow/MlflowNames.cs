using System.Text;

namespace RepLab.Tracking;

/// <summary>
/// MLflow's rules for keys and values, applied before anything is written, so the local store
/// and the server hold the same names and a batch is never refused for a name.
/// </summary>
public static class MlflowNames
{
    /// <summary>MLflow refuses longer metric, param and tag keys.</summary>
    public const int MaxKeyLength = 250;

    /// <summary>MLflow 2.x refuses longer param values (6,000 characters).</summary>
    public const int MaxParamValueLength = 6000;

    /// <summary>MLflow 2.x refuses tag values above 5,000 characters (3.x allows 8,000); the smaller limit fits both.</summary>
    public const int MaxTagValueLength = 5000;

    /// <summary>True when MLflow accepts <paramref name="key"/> as written: [/\w.\- ], at most 250 characters, a normalized relative path.</summary>
    public static bool IsValidKey(string key) => key.Length is > 0 and <= MaxKeyLength && Sanitize(key) == key;

    /// <summary>
    /// The key MLflow will accept: other characters become '_', '.' and '..' segments and empty
    /// segments go (MLflow refuses keys that change under path normalization), and the length is
    /// capped. Two keys may map to one; flattened config keys (a.b.0.c) never change.
    /// </summary>
    public static string Sanitize(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key) sb.Append(char.IsLetterOrDigit(c) || c is '_' or '/' or '.' or '-' or ' ' ? c : '_');
        var segments = sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s is "." or ".." ? "_" : s);
        var clean = string.Join('/', segments);
        if (clean.Length == 0) clean = "_";
        return clean.Length > MaxKeyLength ? clean[..MaxKeyLength] : clean;
    }

    /// <summary>Caps a value at <paramref name="max"/> characters, marking the cut.</summary>
    public static string Cap(string value, int max) => value.Length <= max ? value : value[..(max - 3)] + "...";
}
