using RepLab.Torch;
using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginAugmentationTests
{
    [Fact]
    public void Masked_samples_are_inverted_and_the_others_untouched()
    {
        var batch = torch.tensor<float>([0.25f, 1f, 0.5f, 0f], 2, 1, 1, 2);
        var mask = torch.tensor<float>([1f, 0f], 2, 1, 1, 1);
        Assert.Equal(new[] { 0.75f, 0f, 0.5f, 0f }, MyPluginAugmentation.Invert(batch, mask).data<float>().ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void P_zero_keeps_every_sample_and_p_one_inverts_every_sample(double p)
    {
        var batch = torch.rand(6, 1, 4, 4);
        var output = new MyPluginAugmentation(new MyPluginOptions { P = p }).Apply(batch, new Generator(0));
        var expected = p == 0 ? batch : 1 - batch;
        Assert.True(output.allclose(expected));
    }
}
