using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// Builds the experiment's encoder, and every further one a method asks for, the same way: the
/// encoder plugin with its options, behind the run's input normalisation (if any), on the device.
/// </summary>
public sealed class EncoderFactory(IEncoder plugin, ImageShape input, (double[] Mean, double[] Std)? normalization, Device device) : IEncoderFactory
{
    public EncoderModule Build()
    {
        var encoder = plugin.Build(input);
        if (normalization is var (mean, std)) encoder = new NormalizedEncoder(encoder, mean, std);
        encoder.to(device);
        return encoder;
    }
}
