namespace RepLab.Bench;

/// <summary>The contrastive, self-distillation and pretext methods' steps (SimCLR, MoCo v2, BYOL,
/// RotNet, jigsaw).</summary>
internal static class SelfSupervisedSteps
{
    public static IReadOnlyList<KeyValuePair<string, MethodStep>> All { get; } = [];
}
