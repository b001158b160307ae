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

    [Fact]
    public void The_auxiliary_class_loss_on_real_images_sees_only_the_labelled_ones()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor<float>([2, 0, 0, 2, 5, -5], [3, 2]);
        var labels = torch.tensor<long>([0, -1, 0]);
        // Only images 0 and 2 count: their cross-entropies are log(1 + e^-2) and log(1 + e^-10), averaged.
        DcganMethod.RealClassLoss(logits, labels).item().Should().BeApproximately((Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-10))) / 2, 1e-6);
        var grad = logits.detach().requires_grad_();
        DcganMethod.RealClassLoss(grad, labels).backward();
        grad.grad!.slice(0, 1, 2).abs().sum().item().Should().Be(0, "an unlabelled image gets no class gradient");
        DcganMethod.RealClassLoss(logits, torch.tensor<long>([-1, -1, -1])).item().Should().Be(0, "a batch without labels has no class loss");
    }

    [Fact]
    public void Acgan_conditions_the_generator_and_trains_a_class_head_from_the_labelled_fraction()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new DcganMethod(new DcganOptions { AuxiliaryClassifier = true }), classes: 10);
        method.Needs.TrainingLabels.Should().BeTrue();
        method.Modules.Should().ContainKey("class-head");
        var context = new RecordingRunContext();
        var labels = torch.tensor<long>([3, -1, -1, 7, -1, -1, -1, 1]);
        method.Step(new TrainBatch([], torch.rand([8, 1, 28, 28]), labels, torch.arange(8), []), context);
        context.Logged.Should().ContainKeys("loss/discriminator", "loss/generator");
        using var ng = torch.no_grad();
        var z = method.SampleNoise(2);
        var (a, b) = (method.Generate(z, torch.tensor<long>([0, 0])), method.Generate(z, torch.tensor<long>([5, 5])));
        a.equal(b).Should().BeFalse("the class is an input of the generator");
        var grids = method.Grids(torch.zeros([0, 1, 28, 28]));
        grids.Select(g => g.Name).Should().Equal("samples", "interpolations");
        grids.Should().OnlyContain(g => g.Images.size(0) == 64, "one class per row of 8");
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
