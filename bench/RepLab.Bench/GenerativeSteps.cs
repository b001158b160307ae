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
    private static readonly ImageShape Shape = new(1, 28, 28);
    private static readonly ConvSmallEncoder ConvSmall = new(new ConvSmallOptions { Features = 128 });
    private static readonly DcganDiscriminatorEncoder DcganDiscriminator = new(new DcganDiscriminatorOptions { Width = 64 });

    // Every experiment trains at batch 128. Their optimizers are the methods' declared defaults
    // (quickstart's, the denoising autoencoder's, the VAE's and layer-wise's `optimizer: { plugin: adam,
    // lr: 1e-3 }` restates them; DCGAN, AC-GAN and inpainting name none), so OptimizerFactory.Defaults.
    public static IReadOnlyList<KeyValuePair<string, MethodStep>> All { get; } =
    [
        // quickstart.yaml: conv-small, mirrored decoder, MSE of the sigmoid output.
        Entry("autoencoder", 5, ConvSmall, () => new AutoencoderMethod(new AutoencoderOptions { Loss = ReconstructionLoss.Mse }), "loss/recon-mse"),
        // 25% of each image's pixels zeroed (mask drawn in the step), BCE against the clean image.
        Entry("denoising-autoencoder", 15, ConvSmall, () => new DenoisingAutoencoderMethod(new DenoisingAutoencoderOptions
            { Noise = Corruption.Masking, MaskFraction = 0.25, Loss = ReconstructionLoss.Bce }), "loss/recon-bce"),
        // 128-d latent, Bernoulli likelihood; the loss reported is the negative ELBO (recon + KL), the
        // minimised one weighs the KL by the warm-up (0 at step 0).
        Entry("vae", 8, ConvSmall, () => new VaeMethod(new VaeOptions
            { Latent = 128, Likelihood = Likelihood.Bernoulli, Beta = 1.0, KlWarmupSteps = 1874 }), "loss/elbo"),
        // One discriminator update on real and generated images, then one generator update.
        Entry("dcgan", 3, DcganDiscriminator, () => new DcganMethod(new DcganOptions { Noise = 100, GeneratorWidth = 64 }), "loss/discriminator"),
        // dcgan.yaml with the class head and a class-conditioned generator; 10% of the labels.
        Entry("acgan", 3, DcganDiscriminator, () => new DcganMethod(new DcganOptions { Noise = 100, GeneratorWidth = 64, AuxiliaryClassifier = true }),
            "loss/discriminator", labelled: true),
        // Four one-epoch stage phases, then the end-to-end epoch. Each phase has as many steps, and the
        // end-to-end step is the costliest (every stage and decoder with gradient; a stage phase runs
        // the earlier stages without it), so the run spends the most time there: that step is timed.
        Entry("layerwise-autoencoder", 5, ConvSmall, () => new LayerwiseAutoencoderMethod(new LayerwiseAutoencoderOptions
            { StageEpochs = 1, FineTune = true }), "loss/end-to-end", startEpoch: 4),
        // The central 14x14 square filled with 0.5 and painted back; L2 over the hole (no adversary).
        Entry("inpainting", 5, ConvSmall, () => new InpaintingMethod(new InpaintingOptions
            { Region = HoleRegion.Center, HoleFraction = 0.5 }), "loss/hole-l2"),
    ];

    /// <summary>
    /// A method's bench entry: Make(batch) seeds, builds the plugin on the encoder (no input
    /// normalisation: the experiments set none), then draws a fixed batch of images in [0, 1]
    /// (and with <paramref name="labelled"/> its class labels) and returns one training step
    /// reporting the loss logged as <paramref name="lossKey"/>. <paramref name="startEpoch"/>: the
    /// epoch whose steps are timed (the global step the method sees).
    /// </summary>
    private static KeyValuePair<string, MethodStep> Entry(string name, int epochs, IEncoder encoder, Func<IMethod> create, string lossKey,
        bool labelled = false, int startEpoch = 0) => new(name, new MethodStep(128, batch =>
    {
        torch.manual_seed(0);
        var stepsPerEpoch = BenchContext.TrainingImages / batch;
        var plan = new TrainingPlan(epochs, stepsPerEpoch, (long)epochs * stepsPerEpoch, batch);
        var encoders = new EncoderFactory(encoder, Shape, null, Device.CPU);
        var method = create();
        method.Build(new MethodSetup(encoders.Build(), encoders, Shape, labelled ? 10 : 0, Device.CPU, plan,
            OptimizerFactory.Defaults(name, method.Needs, plan)));
        var x = torch.rand([batch, 1, 28, 28]);
        var indices = torch.arange(batch);
        // train-label-fraction 0.1: the run gives every image's class or -1 where it is held out; here
        // one image in ten keeps its (random) class.
        var labels = labelled ? torch.randint(0, 10, [batch]).masked_fill(indices.remainder(10).ne(0), -1) : null;
        var context = new BenchContext(plan, startEpoch * (long)stepsPerEpoch);
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            method.Step(new TrainBatch([], x, labels, indices, []), context);
            context.GlobalStep++;
            return context.Losses[lossKey];
        };
    }));
}
