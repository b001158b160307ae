namespace RepLab.Host.Tests;

/// <summary>
/// The tiny experiment the fault tests run: synthetic images, conv-small, one epoch of batch 16 on one
/// thread, with PluginNan's fixtures loaded (a NaN evaluator, a diverging method, a dataset that hangs).
/// </summary>
internal static class TinyExperiment
{
    public const string Synthetic = "{ plugin: synthetic, train-size: 64, test-size: 16 }";

    /// <summary>Writes <c>FOLDER/NAME.yaml</c>; <paramref name="extra"/> is appended as top-level YAML (evaluation:, sweep:).</summary>
    public static string Write(string folder, string name, string extra = "", string dataset = Synthetic, string method = "autoencoder", int epochs = 1,
        int seed = 1)
    {
        var path = Path.Combine(folder, name + ".yaml");
        File.WriteAllLines(path,
        [
            $"name: {name}", $"seed: {seed}", $"plugins: [{Repo.Fixture("PluginNan")}]", $"dataset: {dataset}",
            "encoder: { plugin: conv-small, features: 8 }", $"method: {{ plugin: {method} }}",
            $"trainer: {{ epochs: {epochs}, batch-size: 16, threads: 1, log-every: 1 }}", extra,
        ]);
        return path;
    }
}
