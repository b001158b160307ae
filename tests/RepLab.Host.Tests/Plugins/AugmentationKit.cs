using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Tests.Plugins;

/// <summary>What the augmentation tests share: built-ins with options, a seeded Apply, and pixels from their own seed.</summary>
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
}
