namespace RepLab.Bench;

/// <summary>A sub-benchmark's options, <c>--name value</c> pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> values = new();

    public Options(string[] args)
    {
        for (var i = 0; i + 1 < args.Length; i += 2) values[args[i].TrimStart('-')] = args[i + 1];
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;

    public double Double(string name, double fallback) =>
        values.TryGetValue(name, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
