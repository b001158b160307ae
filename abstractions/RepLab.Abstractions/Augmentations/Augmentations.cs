using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// One step of a view pipeline, applied to a whole float batch [N, C, H, W] in [0, 1] on the
/// run's device; every sample draws its own random parameters from the generator.
/// </summary>
public interface IAugmentation : IPlugin
{
    /// <summary>Returns the augmented batch (a new tensor).</summary>
    Tensor Apply(Tensor batch, Generator generator);
}

/// <summary>
/// An augmentation whose output leaves [0, 1] on purpose (a standardisation): steps that assume
/// [0, 1] go before it, and the conformance tests check only that its output is finite.
/// </summary>
public interface IRescalingAugmentation : IAugmentation
{
}

/// <summary>
/// An augmentation whose random choice is itself a label, for pretext tasks that make their own
/// labels (RotNet's rotation, jigsaw's permutation). A method in another plugin assembly reaches
/// it through this interface, since it shares only the SDK with the augmentation's assembly.
/// </summary>
public interface ILabellingAugmentation : IAugmentation
{
    /// <summary>The augmented batch and the int64 label [N] of each sample, on the batch's device; the same draws as <see cref="IAugmentation.Apply"/>.</summary>
    (Tensor Augmented, Tensor Labels) ApplyWithLabels(Tensor batch, Generator generator);
}

/// <summary>What a view pipeline is used for, so an augmentation can say when it makes no sense.</summary>
/// <param name="Channels">Channels of the training images.</param>
/// <param name="Evaluated">Whether the run evaluates the encoder (evaluators feed it un-augmented images in [0, 1]).</param>
public sealed record ViewUse(int Channels, bool Evaluated);

/// <summary>
/// Optional for augmentations: a warning when the step makes no sense for the run (a hue shift on
/// grayscale images, standardising views that evaluation will not standardise); the host prints it
/// once when the run starts.
/// </summary>
public interface IViewAdvice
{
    /// <summary>A warning for this use of the augmentation, or null.</summary>
    string? WarningFor(ViewUse use);
}
