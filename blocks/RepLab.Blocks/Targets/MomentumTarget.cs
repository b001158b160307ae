using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// A target network that follows an online one by an exponential moving average: MoCo's momentum key
/// encoder (He et al., CVPR 2020, eq. 2: theta_k = m theta_k + (1 - m) theta_q) and BYOL's target network
/// (Grill et al., NeurIPS 2020, eq. 1: xi = tau xi + (1 - tau) theta). Build the target as a frozen copy
/// (<c>Setup.Encoders.Copy(encoder, frozen: true)</c> for an encoder, <see cref="MlpHead.Copy"/> for a head),
/// update it after (BYOL) or before (MoCo) each optimizer step, and read it through <see cref="Forward"/>.
/// </summary>
public static class MomentumTarget
{
    /// <summary>
    /// target = <paramref name="momentum"/> * target + (1 - <paramref name="momentum"/>) * online for every
    /// parameter, and a copy of every buffer (batch-norm statistics), without autograd history.
    /// </summary>
    /// <param name="target">The target network (MoCo's key encoder, BYOL's target), of <paramref name="online"/>'s architecture.</param>
    /// <param name="online">The network being trained (MoCo's query encoder, BYOL's online network).</param>
    /// <param name="momentum">The rate m or tau in [0, 1] (MoCo's 0.999; BYOL's 0.996 rising to 1); 1 leaves the parameters as they are.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="momentum"/> is outside [0, 1].</exception>
    public static void Update(Module target, Module online, double momentum)
    {
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), $"the momentum must be in [0, 1], got {momentum}");
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var onlineParams = online.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in target.named_parameters())
            p.mul_(momentum).add_(onlineParams[name], 1 - momentum);
        var onlineBuffers = online.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in target.named_buffers()) b.copy_(onlineBuffers[name]);
    }

    /// <summary>
    /// The target network's output, <paramref name="head"/> on <paramref name="encoder"/>, without gradient and
    /// with both in training mode: batch statistics, as MoCo's key encoder and BYOL's target use them.
    /// </summary>
    /// <param name="encoder">The target encoder.</param>
    /// <param name="head">The target head (MoCo's key head, BYOL's target projector).</param>
    /// <param name="x">The images [N, C, H, W].</param>
    /// <returns>The target's embeddings [N, D], with no autograd history.</returns>
    public static Tensor Forward(Module encoder, Module head, Tensor x)
    {
        using var ng = torch.no_grad();
        encoder.train();
        head.train();
        return head.forward(encoder.forward(x));
    }
}
