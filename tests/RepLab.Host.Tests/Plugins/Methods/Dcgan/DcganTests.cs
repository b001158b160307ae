using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Dcgan;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Dcgan;

public class DcganTests
{
    private static Dictionary<string, Tensor> Snapshot(Module m) => m.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static bool Same(Module m, Dictionary<string, Tensor> before) => m.named_parameters().All(p => p.parameter.equal(before[p.name]));

    [Fact]
    public void Each_phase_updates_only_its_own_network()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new DcganMethod(new DcganOptions()));
        var encoder = (EncoderModule)method.Modules["encoder"];
        var real = torch.rand([8, 1, 28, 28]);
        var (g0, d0, l0) = (Snapshot(method.Generator), Snapshot(encoder), Snapshot(method.Logit));
        method.DiscriminatorStep(real, method.SampleNoise(8));
        Same(method.Generator, g0).Should().BeTrue("the discriminator phase leaves the generator alone");
        Same(encoder, d0).Should().BeFalse("the discriminator phase trains the discriminator");
        Same(method.Logit, l0).Should().BeFalse();
        var (g1, d1, l1) = (Snapshot(method.Generator), Snapshot(encoder), Snapshot(method.Logit));
        method.GeneratorStep(method.SampleNoise(8));
        Same(encoder, d1).Should().BeTrue("the generator phase leaves the discriminator alone");
        Same(method.Logit, l1).Should().BeTrue();
        Same(method.Generator, g1).Should().BeFalse("the generator phase trains the generator");
        encoder.parameters().Concat(method.Logit.parameters()).Should().OnlyContain(p => p.grad == null, "no discriminator gradient is left for the next step");
    }

    [Fact]
    public void The_losses_are_the_papers_binary_cross_entropies()
    {
        using var scope = torch.NewDisposeScope();
        // Logit 0 for every image: each BCE term is ln 2; the discriminator's loss sums its real and fake terms.
        var logits = torch.zeros([4]);
        (F.binary_cross_entropy_with_logits(logits, torch.ones([4])) + F.binary_cross_entropy_with_logits(logits, torch.zeros([4])))
            .item().Should().BeApproximately(2 * Math.Log(2), 1e-6);
        // One-sided smoothing with real label 0.9 at logit ln 9 (sigmoid 0.9): the cross-entropy's minimum, the entropy of 0.9.
        F.binary_cross_entropy_with_logits(torch.full([1], Math.Log(9)), torch.full([1], 0.9)).item()
            .Should().BeApproximately(-(0.9 * Math.Log(0.9) + 0.1 * Math.Log(0.1)), 1e-6);
    }

    [Theory]
    [InlineData(1, 28, 7)]
    [InlineData(3, 32, 4)]
    [InlineData(3, 64, 4)]
    [InlineData(3, 96, 6)]
    public void The_generator_is_scaled_to_the_image_size(int channels, int side, int start)
    {
        using var scope = torch.NewDisposeScope();
        var g = DcganMethod.MakeGenerator(new ImageShape(channels, side, side), 100, 8);
        using var ng = torch.no_grad();
        var y = g.forward(torch.randn([2, 100, 1, 1]));
        y.shape.Should().Equal(2, channels, side, side);
        y.abs().max().item().Should().BeLessThanOrEqualTo(1, "tanh output");
        ((nn.ConvTranspose2d)g[0]).weight.size(2).Should().Be(start, "the first layer projects to the smallest side");
    }
}
