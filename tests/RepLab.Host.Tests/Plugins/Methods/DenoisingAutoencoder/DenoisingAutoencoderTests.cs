using FluentAssertions;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Plugins.Methods.DenoisingAutoencoder;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.DenoisingAutoencoder;

public class DenoisingAutoencoderTests
{
    [Fact]
    public void Masking_noise_zeroes_exactly_the_fraction_of_each_image_at_random_places()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new DenoisingAutoencoderMethod(new() { MaskFraction = 0.25 }));
        var x = torch.ones([6, 1, 28, 28]);
        var corrupted = method.Corrupt(x);
        var zeros = corrupted.eq(0).flatten(1).sum([1]).data<long>();
        zeros.Should().OnlyContain(z => z == 196, "round(0.25 x 784) pixels of every image");
        corrupted.flatten(1).slice(0, 0, 1).equal(corrupted.flatten(1).slice(0, 1, 2)).Should().BeFalse("each image draws its own mask");
        corrupted.masked_select(corrupted.ne(0)).data<float>().Should().OnlyContain(v => v == 1, "unmasked pixels are unchanged");
    }

    [Fact]
    public void Gaussian_noise_has_the_configured_spread_and_stays_in_range()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new DenoisingAutoencoderMethod(new() { Noise = Corruption.Gaussian, Std = 0.1 }));
        var x = torch.full([64, 1, 28, 28], 0.5);
        var corrupted = method.Corrupt(x);
        corrupted.min().item().Should().BeGreaterThanOrEqualTo(0);
        corrupted.max().item().Should().BeLessThanOrEqualTo(1);
        (corrupted - x).std().item().Should().BeApproximately(0.1, 0.005);
    }

    [Fact]
    public void The_losses_match_hand_computed_values()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor<double>([0, Math.Log(3)], [1, 2]);
        var x = torch.tensor<double>([1, 0], [1, 2]);
        // BCE: -log sigmoid(0) = ln 2; -log(1 - sigmoid(ln 3)) = -log(1/4) = ln 4; mean (ln 2 + ln 4) / 2.
        AutoencoderMethod.Loss(logits, x, ReconstructionLoss.Bce).item().Should().BeApproximately(1.5 * Math.Log(2), 1e-12);
        // MSE of the sigmoid: ((0.5 - 1)^2 + (0.75 - 0)^2) / 2.
        AutoencoderMethod.Loss(logits, x, ReconstructionLoss.Mse).item().Should().BeApproximately(0.40625, 1e-12);
    }
}
