namespace RepLab.Config;

/// <summary>Dotted key paths (<c>trainer.epochs</c>, <c>evaluation.0.k</c>) used in messages, overrides and references.</summary>
public static class KeyPath
{
    /// <summary>Appends a key or list index to a parent path.</summary>
    public static string Append(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    /// <summary>Appends a list index to a parent path.</summary>
    public static string Append(string parent, int index) => Append(parent, index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Splits a dotted path into its segments.</summary>
    public static string[] Split(string path) => path.Length == 0 ? [] : path.Split('.');
}
