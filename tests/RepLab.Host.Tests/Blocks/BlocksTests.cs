using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks;

/// <summary>The shared building blocks: the DCGAN initialisation's statistics.</summary>
public class BlocksTests
{
    [Fact]
    public void Dcgan_init_draws_conv_weights_from_n_0_002_batch_norm_scales_from_n_1_002_and_zeroes_the_shifts()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var net = new nn.Sequential(new nn.Conv2d(16, 64, 4), new nn.BatchNorm2d(64), new nn.ConvTranspose2d(64, 32, 4));
        using (torch.no_grad()) net.state_dict()["1.bias"].fill_(0.5);   // a new batch norm's shift is 0 already
        DcganInit.Apply(net);
        var state = net.state_dict();
        foreach (var key in new[] { "0.weight", "2.weight" })
        {
            state[key].mean().item().Should().BeApproximately(0, 0.002, key);
            state[key].std().item().Should().BeApproximately(0.02, 0.001, key);
        }
        state["1.weight"].mean().item().Should().BeApproximately(1, 0.01);
        state["1.weight"].std().item().Should().BeInRange(0.01, 0.03);
        foreach (var key in new[] { "0.bias", "1.bias", "2.bias" })
            state[key].abs().max().item().Should().Be(0, $"{key} is zeroed");
    }
}
