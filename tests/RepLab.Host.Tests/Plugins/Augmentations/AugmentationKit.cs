using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Tests.Plugins.Augmentations;

/// <summary>What the augmentation tests share: built-ins with options, a seeded Apply, pixels from their own seed,
/// and the per-sample comparisons and range checks that several plugins' tests use.</summary>
internal static class AugmentationKit
{
    public static PluginOptions Options(string name, params (string key, object value)[] settings) => BuiltIn.Options(PluginKind.Augmentation, name, settings);

    public static IAugmentation Create(string name, params (string key, object value)[] settings) => BuiltIn.Create<IAugmentation>(name, settings);

    public static Tensor Apply(IAugmentation augmentation, Tensor x, ulong seed)
    {
        using var g = new Generator(seed);
        return augmentation.Apply(x, g);
    }

    /// <summary>Uniform pixels from their own seed, independent of the global stream other tests use.</summary>
    public static Tensor Uniform(long[] shape, ulong seed, ScalarType dtype = ScalarType.Float32)
    {
        using var g = new Generator(seed);
        return torch.rand(shape, dtype, generator: g);
    }

    /// <summary>Names with the settings that make every sample take the augmentation (p = 1).</summary>
    public static IAugmentation Always(string name, params (string key, object value)[] settings) =>
        Create(name, [("P", 1.0), .. settings]);

    public static double[] Doubles(Tensor t)
    {
        using var d = t.to(ScalarType.Float64).contiguous();
        return d.data<double>();
    }

    public static void ShouldCover(double[] factors, double lo, double hi)
    {
        factors.Should().OnlyContain(f => f >= lo - 1e-4 && f <= hi + 1e-4);
        // Uniform draws: with 200 or more of them the extremes lie within 5% of the range's ends.
        factors.Min().Should().BeLessThan(lo + 0.05 * (hi - lo));
        factors.Max().Should().BeGreaterThan(hi - 0.05 * (hi - lo));
        // Standard error of the mean of 200+ uniform draws is under 2% of the range.
        factors.Average().Should().BeApproximately((lo + hi) / 2, 0.08 * (hi - lo));
    }

    public static float[] PerSample(Tensor t, Func<Tensor, Tensor> reduce)
    {
        using var flat = t.flatten(1);
        using var r = reduce(flat);
        return r.data<float>();
    }

    /// <summary>Largest absolute difference per sample, [N].</summary>
    public static float[] MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs();
        return PerSample(d, f => f.amax(1));
    }
}
