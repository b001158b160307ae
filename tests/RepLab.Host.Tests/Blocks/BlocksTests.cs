using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks;

/// <summary>The shared building blocks: the DCGAN initialisation's statistics and the fingerprint's sensitivity.</summary>
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

    [Fact]
    public void The_fingerprint_changes_with_a_weight_a_buffer_or_a_gradient_and_not_otherwise()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var net = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3));
        var before = Fingerprint.Of(net);
        Fingerprint.Of(net).Should().Be(before, "reading it changes nothing");
        using (torch.no_grad()) net.state_dict()["1.running_mean"].add_(1e-3);
        var afterBuffer = Fingerprint.Of(net);
        afterBuffer.Should().NotBe(before, "a buffer changed");
        net.forward(torch.rand([5, 4])).sum().backward();
        Fingerprint.Of(net).Should().NotBe(afterBuffer, "gradients arrived");
    }
}
