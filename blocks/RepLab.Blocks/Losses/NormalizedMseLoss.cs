using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// BYOL's regression loss, the mean squared error of L2-normalised vectors (Grill et al., "Bootstrap Your
/// Own Latent", NeurIPS 2020, eq. 2).
/// </summary>
public static class NormalizedMseLoss
{
    /// <summary>
    /// || p/||p|| - z/||z|| ||^2 = 2 - 2 cos(p, z), averaged over the batch; <paramref name="z"/> is detached
    /// (the target receives no gradient, the paper's stop-gradient).
    /// </summary>
    /// <param name="p">The online network's predictions [N, D].</param>
    /// <param name="z">The target network's projections [N, D].</param>
    /// <returns>The scalar loss, in [0, 4].</returns>
    public static Tensor Compute(Tensor p, Tensor z) =>
        (2 - 2 * F.cosine_similarity(p, z.detach(), dim: 1)).mean();
}
