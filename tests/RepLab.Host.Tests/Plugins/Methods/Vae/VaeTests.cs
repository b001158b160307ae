using FluentAssertions;
using RepLab.Plugins.Methods.Vae;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Vae;

public class VaeTests
{
    [Fact]
    public void The_kl_term_is_the_closed_form_kl_of_diagonal_gaussians_to_the_standard_normal()
    {
        using var scope = torch.NewDisposeScope();
        // KL(N(1, 1) || N(0, 1)) = 1/2; KL(N(0, 4) || N(0, 1)) = (4 - 1 - ln 4) / 2.
        var mu = torch.tensor<double>([1, 0, 0, 0], [2, 2]);
        var logvar = torch.tensor<double>([0, Math.Log(4), 0, 0], [2, 2]);
        var kl = VaeMethod.Kl(mu, logvar).data<double>();
        kl[0].Should().BeApproximately(0.5 + (4 - 1 - Math.Log(4)) / 2, 1e-12);
        kl[1].Should().Be(0, "the prior itself");
    }

    [Fact]
    public void The_kl_term_agrees_with_a_monte_carlo_estimate()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var (mu, sigma) = (0.7, 1.8);
        var z = torch.randn([400_000], ScalarType.Float64) * sigma + mu;
        // E_q[log q(z) - log p(z)] with both densities written out.
        var logq = -((z - mu) / sigma).pow(2) / 2 - Math.Log(sigma);
        var logp = -z.pow(2) / 2;
        var estimate = (logq - logp).mean().item();
        var closed = VaeMethod.Kl(torch.tensor<double>([mu], [1, 1]), torch.tensor<double>([2 * Math.Log(sigma)], [1, 1])).item();
        closed.Should().BeApproximately(estimate, 0.01);
    }

    [Fact]
    public void The_likelihoods_match_hand_computed_values()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor<double>([0, Math.Log(3)], [1, 2]);
        var x = torch.tensor<double>([0.7, 0], [1, 2]);
        // Bernoulli: -(0.7 log 0.5 + 0.3 log 0.5) - log(1/4), summed over the two pixels.
        VaeMethod.NegativeLogLikelihood(logits, x, Likelihood.Bernoulli, 0.1).item().Should().BeApproximately(Math.Log(2) + Math.Log(4), 1e-12);
        // Gaussian, sigma 0.1: ((0.5 - 0.7)^2 + 0.75^2) / (2 x 0.01).
        VaeMethod.NegativeLogLikelihood(logits, x, Likelihood.Gaussian, 0.1).item().Should().BeApproximately((0.04 + 0.5625) / 0.02, 1e-9);
    }

    [Fact]
    public void The_kl_weight_warms_up_linearly_to_beta()
    {
        var method = new VaeMethod(new VaeOptions { Beta = 4, KlWarmupSteps = 100 });
        new[] { 0L, 50, 100, 1000 }.Select(method.KlWeight).Should().Equal(0, 2, 4, 4);
        new VaeMethod(new VaeOptions { Beta = 2 }).KlWeight(0).Should().Be(2, "no warm-up");
    }

    [Fact]
    public void The_representation_is_the_posterior_mean()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new VaeMethod(new VaeOptions { Latent = 6 }));
        method.Representation.Features.Should().Be(6);
        var x = torch.rand([3, 1, 28, 28]);
        var encoder = (RepLab.Abstractions.EncoderModule)method.Modules["encoder"];
        var mean = (RepLab.Abstractions.LinearHeadEncoder)method.Representation;
        using var ng = torch.no_grad();
        mean.forward(x).equal(mean.Head(encoder.forward(x))).Should().BeTrue();
        method.Modules.Keys.Should().Contain(["posterior-mean", "posterior-log-variance", "decoder"]);
    }
}
