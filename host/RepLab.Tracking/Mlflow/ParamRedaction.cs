namespace RepLab.Tracking;

/// <summary>
/// Hides secrets in logged params. A flattened config key that mentions token, password, secret
/// or key anywhere (api_key, dataset.auth.token, hf_secret) keeps its name but loses its value:
/// params go to shared servers and are immutable there, so a leaked value cannot be taken back.
/// </summary>
public static class ParamRedaction
{
    /// <summary>What a redacted value becomes.</summary>
    public const string Mask = "***";

    private static readonly string[] Words = ["token", "password", "secret", "key"];

    /// <summary>True when the value of <paramref name="key"/> must not be logged.</summary>
    public static bool IsSecret(string key) => Words.Any(w => key.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>The params with secret values replaced by <see cref="Mask"/>, in the same order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Redact(IEnumerable<KeyValuePair<string, string>> parameters) =>
        parameters.Select(p => IsSecret(p.Key) ? new KeyValuePair<string, string>(p.Key, Mask) : p).ToList();
}
