using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Tests.Plugins.Evaluators;

/// <summary>An encoder that only flattens and scales pixels: evaluators must separate synthetic shapes from raw pixels.</summary>
internal sealed class PixelEncoder(int features) : EncoderModule
{
    public override int Features => features;

    public override Tensor forward(Tensor input) => input.flatten(1);
}
