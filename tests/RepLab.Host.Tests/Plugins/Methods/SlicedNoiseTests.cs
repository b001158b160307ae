using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Dcgan;
using RepLab.Plugins.Methods.DenoisingAutoencoder;
using RepLab.Plugins.Methods.Inpainting;
using RepLab.Plugins.Methods.Jigsaw;
using RepLab.Plugins.Methods.Vae;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods;

/// <summary>
/// Data-parallel per-sample noise: a method's random draws made by two processes on the halves of a global
/// batch, each inside its <see cref="BatchSlice"/> and from the same seed, are exactly the draws one process
/// makes for the whole batch (VAE's eps, DCGAN's noise and classes, the denoising autoencoder's corruptions,
/// inpainting's holes, jigsaw's tile offsets and permutations). The losses built on them are batch means and
/// are reduced across processes by the host, not tested here.
/// </summary>
public class SlicedNoiseTests
{
    /// <summary>Images each of the two processes holds.</summary>
    private const long Local = 4;

    private static readonly BatchSlice[] Halves = [new(0, Local, 2 * Local), new(Local, Local, 2 * Local)];

    /// <summary>
    /// <paramref name="draw"/> of the whole of <paramref name="x"/> [2 Local, ...] against the two processes'
    /// draws of their halves joined along <paramref name="sampleDim"/>, each after seeding torch's default
    /// generator with the same seed, as every process of a run is.
    /// </summary>
    private static void ShouldDrawAsOneProcess(Func<Tensor, Tensor> draw, Tensor x, string because, int sampleDim = 0)
    {
        torch.manual_seed(31);
        var whole = draw(x);
        var parts = new List<Tensor>();
        foreach (var s in Halves)
        {
            torch.manual_seed(31);
            using (BatchSlice.Enter(s)) parts.Add(draw(x.narrow(0, s.Offset, s.Count)));
        }
        var joined = torch.cat(parts, sampleDim);
        joined.shape.Should().Equal(whole.shape, because);
        joined.equal(whole).Should().BeTrue(because);
        // Not vacuous: the two halves drew different noise.
        parts[0].equal(parts[1]).Should().BeFalse(because);
    }

    [Fact]
    public void Vae_posterior_draws_follow_the_samples_place_in_the_global_batch()
    {
        using var scope = torch.NewDisposeScope();
        // Each sample's posterior mean and log-variance side by side: [N, 2, latent].
        var posterior = torch.rand([2 * Local, 2, 6]) - 0.5;
        ShouldDrawAsOneProcess(p => VaeMethod.Reparameterize(p.select(1, 0), p.select(1, 1)), posterior, "vae eps");
    }

    [Fact]
    public void Dcgan_noise_and_classes_follow_the_samples_place_in_the_global_batch()
    {
        using var scope = torch.NewDisposeScope();
        var method = MethodKit.Build(new DcganMethod(new DcganOptions { AuxiliaryClassifier = true }), classes: 10);
        var x = torch.zeros([2 * Local]);
        ShouldDrawAsOneProcess(b => method.SampleNoise(b.size(0)), x, "dcgan noise");
        ShouldDrawAsOneProcess(b => method.SampleClasses(b.size(0))!, x, "dcgan classes");
    }

    [Theory]
    [InlineData("Gaussian")]
    [InlineData("Masking")]
    public void Denoising_corruptions_follow_the_samples_place_in_the_global_batch(string noise)
    {
        using var scope = torch.NewDisposeScope();
        var method = new DenoisingAutoencoderMethod(new() { Noise = Enum.Parse<Corruption>(noise), Std = 0.2, MaskFraction = 0.3 });
        ShouldDrawAsOneProcess(method.Corrupt, torch.full([2 * Local, 1, 12, 12], 0.5), $"{noise} corruption");
    }

    [Fact]
    public void Inpainting_holes_follow_the_samples_place_in_the_global_batch()
    {
        using var scope = torch.NewDisposeScope();
        var method = new InpaintingMethod(new InpaintingOptions { Region = HoleRegion.Random, HoleFraction = 0.25 });
        ShouldDrawAsOneProcess(method.Hole, torch.rand([2 * Local, 3, 16, 16]), "inpainting holes");
    }

    [Fact]
    public void Jigsaw_tiles_and_permutations_follow_the_samples_place_in_the_global_batch()
    {
        using var scope = torch.NewDisposeScope();
        var method = new JigsawMethod(new JigsawOptions { Permutations = 30, HiddenDim = 8 });
        var x = torch.rand([2 * Local, 1, 18, 18]);
        // Cut gives [9, N, C, H, W]: the samples are dimension 1, as are the offsets it draws.
        ShouldDrawAsOneProcess(method.Cut, x, "jigsaw tiles", sampleDim: 1);
        ShouldDrawAsOneProcess(b => method.ChoosePermutations(b.size(0), b.device), x, "jigsaw permutations");
    }
}
