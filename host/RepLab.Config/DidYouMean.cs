namespace RepLab.Config;

/// <summary>Suggests the nearest known name for a misspelt one (keys, plugins, enum values, files).</summary>
public static class DidYouMean
{
    /// <summary>
    /// The candidate closest to <paramref name="given"/>, or null when none is close enough to be a plausible typo.
    /// Case, '-' and '_' are ignored, so <c>batchSize</c> suggests <c>batch-size</c>.
    /// </summary>
    public static string? Suggest(string given, IEnumerable<string> candidates)
    {
        var normalisedGiven = Normalise(given);
        // Short names differ from each other in few letters; a loose threshold would suggest nonsense.
        var allowed = normalisedGiven.Length <= 3 ? 1 : normalisedGiven.Length <= 6 ? 2 : 3;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (candidate == given)
                continue;
            var distance = Distance(normalisedGiven, Normalise(candidate));
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>
    /// Edit distance counting insertions, deletions, substitutions and adjacent transpositions
    /// (the last because swapped letters are the most common typing slip).
    /// </summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    value = Math.Min(value, d[i - 2, j - 2] + 1);
                d[i, j] = value;
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>" (did you mean 'x'?)" or an empty string; for appending to messages.</summary>
    public static string Hint(string given, IEnumerable<string> candidates)
    {
        var suggestion = Suggest(given, candidates);
        return suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
    }

    private static string Normalise(string s) =>
        new(s.Where(c => c != '-' && c != '_').Select(char.ToLowerInvariant).ToArray());
}
