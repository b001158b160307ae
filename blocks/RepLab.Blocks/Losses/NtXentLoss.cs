using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// SimCLR's normalised temperature-scaled cross-entropy, NT-Xent (Chen, Kornblith, Norouzi &amp; Hinton,
/// "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020, eq. 1).
/// </summary>
public static class NtXentLoss
{
    /// <summary>
    /// NT-Xent of two views' embeddings: the 2N rows of <paramref name="z1"/> and <paramref name="z2"/> are
    /// L2-normalised; each one's positive is the other view of its image and the other 2N - 2 are its
    /// negatives; the loss is the cross-entropy of the cosine similarities over <paramref name="temperature"/>,
    /// averaged over all 2N anchors (the paper's L = 1/2N sum_k [l(2k-1, 2k) + l(2k, 2k-1)]).
    /// </summary>
    /// <param name="z1">The first view's embeddings [N, D] (need not be normalised).</param>
    /// <param name="z2">The second view's embeddings [N, D], row i the same image as row i of <paramref name="z1"/>.</param>
    /// <param name="temperature">The temperature tau (the paper's 0.5 for CIFAR-10, appendix B.9).</param>
    /// <returns>The scalar loss, differentiable in both views.</returns>
    /// <exception cref="ArgumentException">The views are not two [N, D] tensors of one shape.</exception>
    public static Tensor Compute(Tensor z1, Tensor z2, double temperature = 0.5)
    {
        if (!z1.shape.SequenceEqual(z2.shape) || z1.dim() != 2) throw new ArgumentException($"NT-Xent needs two [N, D] embeddings of one shape, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
        var n = z1.size(0);
        var z = F.normalize(torch.cat([z1, z2]), dim: 1);
        using var self = torch.eye(2 * n, dtype: ScalarType.Bool, device: z.device);
        var logits = z.mm(z.T).div(temperature).masked_fill(self, -1e9);
        using var first = torch.arange(n, 2 * n, dtype: ScalarType.Int64, device: z.device);
        using var second = torch.arange(0, n, dtype: ScalarType.Int64, device: z.device);
        using var targets = torch.cat([first, second]);
        return F.cross_entropy(logits, targets);
    }
}
