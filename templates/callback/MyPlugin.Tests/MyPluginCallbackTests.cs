using RepLab.Torch;
using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginCallbackTests
{
    [Fact]
    public void The_norm_covers_every_parameter()
    {
        var layer = new nn.Linear(2, 1);
        using (torch.no_grad())
        {
            layer.parameters().ElementAt(0).copy_(torch.tensor<float>([3, 4], 1, 2));
            layer.parameters().ElementAt(1).copy_(torch.tensor<float>([12], 1));
        }
        Assert.Equal(13, MyPluginCallback.WeightNorm(layer), 5);
    }
}
