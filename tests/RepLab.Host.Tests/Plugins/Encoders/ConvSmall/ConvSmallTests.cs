using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Encoders.ConvSmall;

/// <summary>conv-small as the design describes it: three strided convs (32, 64, 128 channels) with BN, then a linear from 128x4x4.</summary>
public class ConvSmallTests
{
    private static EncoderModule Build(ImageShape input, int features = 128) =>
        BuiltIn.Create<IEncoder>("conv-small", ("Features", features)).Build(input);

    [Theory]
    [InlineData(1, 28, 369_952)]
    [InlineData(3, 32, 370_976)]
    public void The_layers_and_their_sizes_are_those_of_the_design(int channels, int side, long parameters)
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = Build(new ImageShape(channels, side, side));
        // conv 4x4 (C->32), BN; conv 4x4 (32->64), BN; conv 3x3 (64->128), BN; linear 128*4*4 -> 128: by hand.
        encoder.parameters().Sum(p => p.numel()).Should().Be(parameters);
        var state = encoder.state_dict();
        state["body.0.weight"].shape.Should().Equal(32, channels, 4, 4);
        state["body.3.weight"].shape.Should().Equal(64, 32, 4, 4);
        state["body.6.weight"].shape.Should().Equal(128, 64, 3, 3);
        state["body.10.weight"].shape.Should().Equal(128, 128 * 4 * 4);
        encoder.Stages.Select(s => (s.Name, s.Channels)).Should().Equal(("block1", 32), ("block2", 64), ("block3", 128), ("head", 128));
        encoder.forward(torch.rand([5, channels, side, side])).shape.Should().Equal(5, 128);
    }

    [Fact]
    public void The_feature_count_is_the_option_and_images_outside_16_to_64_pixels_are_refused()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = Build(new ImageShape(1, 28, 28), features: 7);
        encoder.Features.Should().Be(7);
        encoder.forward(torch.rand([2, 1, 28, 28])).shape.Should().Equal(2, 7);
        FluentActions.Invoking(() => Build(new ImageShape(3, 96, 96))).Should().Throw<ArgumentException>().WithMessage("*16 to 64 pixels*");
    }
}
