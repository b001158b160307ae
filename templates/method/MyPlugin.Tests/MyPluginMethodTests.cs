using RepLab.Torch;
using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginMethodTests
{
    [Fact]
    public void The_loss_is_the_mean_negative_cosine_of_each_prediction_with_the_other_view()
    {
        // Two samples. Sample 1: p1 = z2 direction (cos 1), p2 orthogonal to z1 (cos 0).
        // Sample 2: p1 opposite z2 (cos -1), p2 at 45 degrees to z1 (cos 1/sqrt 2).
        var p1 = torch.tensor<float>([1, 0, -2, 0], 2, 2);
        var z2 = torch.tensor<float>([3, 0, 1, 0], 2, 2);
        var p2 = torch.tensor<float>([0, 1, 1, 1], 2, 2);
        var z1 = torch.tensor<float>([2, 0, 1, 0], 2, 2);
        var expected = -((1.0 + -1.0) / 2 + (0.0 + 1 / Math.Sqrt(2)) / 2) / 2;
        Assert.Equal(expected, MyPluginMethod.Loss(p1, p2, z1, z2).item(), 6);
    }

    [Fact]
    public void No_gradient_reaches_the_targets()
    {
        var z1 = torch.tensor<float>([2, 1], 1, 2).requires_grad_();
        var p2 = torch.tensor<float>([1, 3], 1, 2).requires_grad_();
        MyPluginMethod.Loss(p2, p2, z1, z1).backward();
        Assert.Null(z1.grad);
        Assert.NotNull(p2.grad);
    }
}
