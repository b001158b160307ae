using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.Autoencoder;

/// <summary>The autoencoder: its two losses by hand, a decoder that mirrors the encoder's input, and steps that lower the loss.</summary>
public class AutoencoderTests
{
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

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    public void The_decoder_gives_back_the_input_shape_and_refuses_sides_not_divisible_by_4(int channels, int side)
    {
        using var scope = torch.NewDisposeScope();
        using var decoder = new MirroredDecoder(16, new ImageShape(channels, side, side));
        decoder.forward(torch.rand([3, 16])).shape.Should().Equal(3, channels, side, side);
        FluentActions.Invoking(() => new MirroredDecoder(16, new ImageShape(1, 30, 30))).Should().Throw<ArgumentException>().WithMessage("*divisible by 4*");
    }

    [Fact]
    public void Steps_on_one_batch_lower_the_reconstruction_loss_and_the_grid_pairs_inputs_with_reconstructions()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new AutoencoderMethod(new() { Lr = 3e-3 }));
        var x = torch.rand([8, 1, 28, 28]);
        var context = new RecordingRunContext();
        var losses = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            using var step = torch.NewDisposeScope();
            method.Step(new TrainBatch([], x, null, torch.arange(8), []), context);
            losses.Add(context.Logged["loss/recon-mse"]);
        }
        losses[^1].Should().BeLessThan(0.8 * losses[0], "fifteen Adam steps on one batch fit it better");
        var grid = method.Grids(x.slice(0, 0, 4)).Single();
        grid.Name.Should().Be("reconstructions");
        grid.Images.shape.Should().Equal(8, 1, 28, 28);
        grid.Images.slice(0, 0, 4).equal(x.slice(0, 0, 4)).Should().BeTrue("the first row holds the inputs");
    }
}
