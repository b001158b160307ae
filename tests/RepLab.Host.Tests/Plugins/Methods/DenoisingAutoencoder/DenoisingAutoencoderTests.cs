using FluentAssertions;
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
}
