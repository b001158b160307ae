using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Common;

/// <summary>The training step shared by the classification pretext tasks (RotNet, jigsaw).</summary>
public static class PretextTask
{
    /// <summary>
    /// One step of <paramref name="optimizer"/> on the cross-entropy of <paramref name="logits"/> against the
    /// pretext labels; logs <c>loss/NAME-ce</c> and, on recording steps, <c>train/NAME-accuracy</c>.
    /// </summary>
    public static void Train(optim.Optimizer optimizer, Tensor logits, Tensor labels, IRunContext context, string name)
    {
        var loss = F.cross_entropy(logits, labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        context.LogLoss($"loss/{name}-ce", loss);
        if (!context.IsRecordingStep) return;
        using var ng = torch.no_grad();
        context.Log($"train/{name}-accuracy", logits.argmax(1).eq(labels).to(ScalarType.Float64).mean().item());
    }
}
