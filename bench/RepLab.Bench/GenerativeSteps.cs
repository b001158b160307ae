namespace RepLab.Bench;

/// <summary>The generative and reconstruction methods' steps (autoencoder, denoising autoencoder,
/// VAE, DCGAN, AC-GAN, layer-wise autoencoder, inpainting).</summary>
internal static class GenerativeSteps
{
    public static IReadOnlyList<KeyValuePair<string, MethodStep>> All { get; } = [];
}
