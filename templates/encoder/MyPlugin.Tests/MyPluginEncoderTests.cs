using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginEncoderTests
{
    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    public void Images_of_any_size_map_to_features_of_the_declared_width(int channels, int side)
    {
        var encoder = new MyPluginEncoder(new MyPluginOptions { Features = 24 }).Build(new ImageShape(channels, side, side));
        var features = encoder.forward(torch.rand(5, channels, side, side));
        Assert.Equal([5L, 24], features.shape);
        Assert.Equal(24, encoder.Features);
    }

    [Fact]
    public void The_stage_maps_halve_the_resolution_twice()
    {
        var encoder = new MyPluginEncoder(new MyPluginOptions { Width = 8 }).Build(new ImageShape(1, 28, 28));
        var maps = encoder.FeatureMaps(torch.rand(2, 1, 28, 28));
        Assert.Equal([2L, 8, 14, 14], maps[0].shape);
        Assert.Equal([2L, 16, 7, 7], maps[1].shape);
    }
}
