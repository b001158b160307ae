using RepLab.Abstractions;

namespace RepLab.Blocks;

/// <summary>The optimizer settings the papers of the contrastive and self-distillation family share, as a method's defaults.</summary>
public static class OptimizerPresets
{
    /// <summary>
    /// LARS with linear lr scaling by batch / 256, linear warm-up then cosine decay, and no weight decay or
    /// adaptation for biases and norm parameters: SimCLR's (Chen et al., ICML 2020, appendix B.1: lr 0.3 x B / 256,
    /// weight decay 1e-6, 10 warm-up epochs) and BYOL's (Grill et al., NeurIPS 2020, appendix J.1: lr 0.2 x B / 256,
    /// weight decay 1.5e-6, 10 warm-up epochs).
    /// </summary>
    /// <param name="lr">The base lr, before scaling by batch / 256.</param>
    /// <param name="weightDecay">Weight decay, not applied to biases and norm parameters.</param>
    /// <param name="warmupEpochs">Epochs of linear warm-up before the cosine decay.</param>
    public static OptimizerDefaults LarsWarmupCosine(double lr, double weightDecay, double warmupEpochs) => new(OptimizerKind.Lars, lr)
    {
        WeightDecay = weightDecay,
        Scaling = LrScaling.Linear,
        Schedule = ScheduleKind.WarmupCosine,
        WarmupEpochs = warmupEpochs,
        ExcludeBiasAndNorm = true,
    };

    /// <summary>
    /// SGD with momentum 0.9 and cosine decay: MoCo v2's (Chen et al., arXiv:2003.04297, 2020: lr 0.03 x B / 256,
    /// weight decay 1e-4, cosine schedule) with <see cref="LrScaling.Linear"/>, and the pretext tasks' (RotNet,
    /// Gidaris et al., ICLR 2018; jigsaw, Noroozi &amp; Favaro, ECCV 2016) without scaling.
    /// </summary>
    /// <param name="lr">The base lr.</param>
    /// <param name="weightDecay">Weight decay, on every parameter.</param>
    /// <param name="scaling">How the lr scales with the batch size (none by default).</param>
    public static OptimizerDefaults SgdCosine(double lr, double weightDecay, LrScaling scaling = LrScaling.None) => new(OptimizerKind.Sgd, lr)
    {
        WeightDecay = weightDecay,
        Momentum = 0.9,
        Scaling = scaling,
        Schedule = ScheduleKind.Cosine,
    };
}
