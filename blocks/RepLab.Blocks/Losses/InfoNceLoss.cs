using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// MoCo's InfoNCE with a queue of negatives (He, Fan, Wu, Xie &amp; Girshick, "Momentum Contrast for
/// Unsupervised Visual Representation Learning", CVPR 2020, eq. 1; MoCo v2, Chen, Fan, Girshick &amp; He,
/// arXiv:2003.04297, 2020, with temperature 0.2).
/// </summary>
public static class InfoNceLoss
{
    /// <summary>
    /// L_q = -log exp(q . k+ / T) / (exp(q . k+ / T) + sum over the queue of exp(q . k- / T)), averaged over
    /// the batch: the logits are [q . k, q . queue] / T and the positive is class 0.
    /// </summary>
    /// <param name="q">The queries [N, D], L2-normalised, with gradient.</param>
    /// <param name="k">The positive keys [N, D], L2-normalised (from the momentum encoder, without gradient).</param>
    /// <param name="queue">The negative keys [K, D], L2-normalised.</param>
    /// <param name="temperature">The temperature T (MoCo v2's 0.2; MoCo's 0.07).</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor Compute(Tensor q, Tensor k, Tensor queue, double temperature = 0.2)
    {
        var positive = (q * k).sum(1, keepdim: true);
        var negative = q.mm(queue.T);
        var logits = torch.cat([positive, negative], 1).div(temperature);
        using var targets = torch.zeros([q.size(0)], ScalarType.Int64, q.device);
        return F.cross_entropy(logits, targets);
    }
}
