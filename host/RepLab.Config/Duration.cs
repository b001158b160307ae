using System.Globalization;
using System.Text.RegularExpressions;

namespace RepLab.Config;

/// <summary>
/// A length of time as people write it in an experiment or on the command line: <c>90</c> or
/// <c>90s</c> (seconds), <c>30m</c>, <c>2h</c>, <c>1d</c>, or parts together, <c>1h30m</c>.
/// </summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*(?:(\d+(?:\.\d+)?)\s*(d|h|m|s)\s*)+$|^\s*(\d+(?:\.\d+)?)\s*$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)\s*(d|h|m|s)")]
    private static partial Regex Part();

    /// <summary>The format, for messages.</summary>
    public const string Format = "seconds, or a number with s, m, h or d (90, 90s, 5m, 2h, 1h30m)";

    /// <summary>Parses <paramref name="text"/>; false when it is not a positive duration of at most a year.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text is null || text.Length > 64 || !Whole().IsMatch(text)) return false;
        double seconds = 0;
        var parts = Part().Matches(text);
        if (parts.Count == 0) seconds = double.Parse(text.Trim(), CultureInfo.InvariantCulture);
        foreach (Match p in parts)
            seconds += double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) * p.Groups[2].Value switch { "d" => 86400, "h" => 3600, "m" => 60, _ => 1 };
        if (!(seconds > 0) || seconds > 366 * 86400) return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The value of command-line option <paramref name="option"/>; an ArgumentException naming it (exit 2) when it is not a duration.</summary>
    public static TimeSpan Option(string text, string option) =>
        TryParse(text, out var value) ? value : throw new ArgumentException($"{option} '{text}' is not a duration: {Format}");

    /// <summary><paramref name="value"/> the way it is written: <c>1h30m</c>, <c>45s</c>.</summary>
    public static string Text(TimeSpan value)
    {
        if (value.TotalSeconds < 60) return $"{value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";
        var parts = new List<string>();
        if (value.Days > 0) parts.Add($"{value.Days}d");
        if (value.Hours > 0) parts.Add($"{value.Hours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0) parts.Add($"{value.Seconds}s");
        return string.Concat(parts);
    }
}
