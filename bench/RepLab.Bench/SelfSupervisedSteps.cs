using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Plugins.Encoders.ConvSmall;
using RepLab.Plugins.Methods.Byol;
using RepLab.Plugins.Methods.Jigsaw;
using RepLab.Plugins.Methods.MocoV2;
using RepLab.Plugins.Methods.Rotation;
using RepLab.Plugins.Methods.Simclr;
using RepLab.Torch;

namespace RepLab.Bench;

/// <summary>The contrastive, self-distillation and pretext methods' steps (SimCLR, MoCo v2, BYOL,
/// RotNet, jigsaw).</summary>
/// <remarks>
/// Each one is the plugin as its experiments/fashion-mnist/NAME.yaml builds it (encoder, method
/// options, optimizer with its schedule over the experiment's plan) and steps it as the runner's
/// training loop does: <see cref="IMethod.Step"/> inside a dispose scope, the global step counted
/// after it. The views are fixed random images (augmentation is benchmarked by <c>pipeline</c>).
/// </remarks>
internal static class SelfSupervisedSteps
{
    public static IReadOnlyList<MethodStep> All { get; } =
    [
        // simclr.yaml: conv-small 512, head 512 -> 512 -> 128, T 0.5; LARS 0.3 x B/256, 1 warm-up epoch of 8.
        Step("simclr", batch: 256, epochs: 8, features: 512, views: 2,
            () => new SimclrMethod(new SimclrOptions { HiddenDim = 512, OutputDim = 128, Temperature = 0.5, WarmupEpochs = 1 })),
        // moco-v2.yaml: queue 4096, m 0.99, T 0.2, head 512 -> 512 -> 128; its optimizer: sgd lr 0.06 (x B/256), weight decay 5e-4.
        Step("moco-v2", batch: 256, epochs: 8, features: 512, views: 2,
            () => new MocoV2Method(new MocoV2Options { QueueSize = 4096, Momentum = 0.99, Temperature = 0.2, HiddenDim = 512, OutputDim = 128 }),
            defaults => defaults with { Lr = 0.06, WeightDecay = 5e-4 }),
        // byol.yaml: projector and predictor 512 -> 1024 -> 256, tau 0.99 -> 1; LARS 1.0 x B/256, weight decay 1e-5, 1 warm-up epoch of 5.
        Step("byol", batch: 256, epochs: 5, features: 512, views: 2,
            () => new ByolMethod(new ByolOptions { HiddenDim = 1024, OutputDim = 256, TauBase = 0.99, Lr = 1.0, WeightDecay = 1e-5, WarmupEpochs = 1 })),
        // rotation.yaml: the plugin's defaults (linear classifier, SGD 0.1, cosine), no views: the un-augmented batch.
        Step("rotation", batch: 128, epochs: 5, features: 512, views: 0, () => new RotationMethod(new RotationOptions())),
        // jigsaw.yaml: conv-small 256, 100 permutations (min Hamming 6), classifier 9x256 -> 512 -> 100, SGD 0.03.
        Step("jigsaw", batch: 64, epochs: 2, features: 256, views: 0,
            () => new JigsawMethod(new JigsawOptions { Permutations = 100, MinHamming = 6, HiddenDim = 512, Lr = 0.03 })),
    ];

    /// <summary>conv-small with <paramref name="features"/> features, as the experiment sets it.</summary>
    private static MethodStep Step(string name, int batch, int epochs, int features, int views, Func<IMethod> create,
        Func<OptimizerDefaults, OptimizerDefaults>? optimizer = null) =>
        new(name, batch, epochs, new ConvSmallEncoder(new ConvSmallOptions { Features = features }), create) { Views = views, Optimizer = optimizer };
}
