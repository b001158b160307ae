using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Sdk;

/// <summary>The SDK's module fingerprint, which evaluators and the conformance checks use to prove a module untouched.</summary>
public class FingerprintTests
{
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
