using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Plugins.Encoders.ConvSmall;
using RepLab.Plugins.Encoders.DcganDiscriminator;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Plugins.Methods.Dcgan;
using RepLab.Plugins.Methods.DenoisingAutoencoder;
using RepLab.Plugins.Methods.Inpainting;
using RepLab.Plugins.Methods.LayerwiseAutoencoder;
using RepLab.Plugins.Methods.Vae;
using RepLab.Torch;

namespace RepLab.Bench;

/// <summary>The generative and reconstruction methods' steps (autoencoder, denoising autoencoder,
/// VAE, DCGAN, AC-GAN, layer-wise autoencoder, inpainting): each plugin built with the options of its
/// shipped experiment (experiments/fashion-mnist/*.yaml) and stepped as the runner's training loop
/// steps it (TrainingLoop: a dispose scope per step, IMethod.Step, the global step counted on).</summary>
internal static class GenerativeSteps
{
    private static readonly ConvSmallEncoder ConvSmall = new(new ConvSmallOptions { Features = 128 });
    private static readonly DcganDiscriminatorEncoder DcganDiscriminator = new(new DcganDiscriminatorOptions { Width = 64 });

    // Every experiment trains at batch 128. Their optimizers are the methods' declared defaults
    // (quickstart's, the denoising autoencoder's, the VAE's and layer-wise's `optimizer: { plugin: adam,
    // lr: 1e-3 }` restates them; DCGAN, AC-GAN and inpainting name none), so OptimizerFactory.Defaults.
    public static IReadOnlyList<MethodStep> All { get; } =
    [
        // quickstart.yaml: conv-small, mirrored decoder, MSE of the sigmoid output.
        Step("autoencoder", 5, ConvSmall, () => new AutoencoderMethod(new AutoencoderOptions { Loss = ReconstructionLoss.Mse }), "loss/recon-mse"),
        // 25% of each image's pixels zeroed (mask drawn in the step), BCE against the clean image.
        Step("denoising-autoencoder", 15, ConvSmall, () => new DenoisingAutoencoderMethod(new DenoisingAutoencoderOptions
            { Noise = Corruption.Masking, MaskFraction = 0.25, Loss = ReconstructionLoss.Bce }), "loss/recon-bce"),
        // 128-d latent, Bernoulli likelihood; the loss reported is the negative ELBO (recon + KL), the
        // minimised one weighs the KL by the warm-up (0 at step 0).
        Step("vae", 8, ConvSmall, () => new VaeMethod(new VaeOptions
            { Latent = 128, Likelihood = Likelihood.Bernoulli, Beta = 1.0, KlWarmupSteps = 1874 }), "loss/elbo"),
        // One discriminator update on real and generated images, then one generator update.
        Step("dcgan", 3, DcganDiscriminator, () => new DcganMethod(new DcganOptions { Noise = 100, GeneratorWidth = 64 }), "loss/discriminator"),
        // dcgan.yaml with the class head and a class-conditioned generator; 10% of the labels.
        Step("acgan", 3, DcganDiscriminator, () => new DcganMethod(new DcganOptions { Noise = 100, GeneratorWidth = 64, AuxiliaryClassifier = true }),
            "loss/discriminator", labelled: true),
        // Four one-epoch stage phases, then the end-to-end epoch. Each phase has as many steps, and the
        // end-to-end step is the costliest (every stage and decoder with gradient; a stage phase runs
        // the earlier stages without it), so the run spends the most time there: that step is timed.
        Step("layerwise-autoencoder", 5, ConvSmall, () => new LayerwiseAutoencoderMethod(new LayerwiseAutoencoderOptions
            { StageEpochs = 1, FineTune = true }), "loss/end-to-end", startEpoch: 4),
        // The central 14x14 square filled with 0.5 and painted back; L2 over the hole (no adversary).
        Step("inpainting", 5, ConvSmall, () => new InpaintingMethod(new InpaintingOptions
            { Region = HoleRegion.Center, HoleFraction = 0.5 }), "loss/hole-l2"),
    ];

    private static MethodStep Step(string name, int epochs, IEncoder encoder, Func<IMethod> create, string lossKey,
        bool labelled = false, int startEpoch = 0) =>
        new(name, 128, epochs, encoder, create) { LossKey = lossKey, Labelled = labelled, StartEpoch = startEpoch };
}

