using RepLab.Torch;
using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginEvaluatorTests
{
    [Fact]
    public void Each_test_point_takes_the_class_of_the_nearest_mean()
    {
        // Class 0's mean is (0, 0), class 1's is (4, 0).
        var probe = torch.tensor<float>([-1, 0, 1, 0, 3, 0, 5, 0], 4, 2);
        var probeLabels = torch.tensor<long>([0, 0, 1, 1]);
        // (1.9, 0) is nearer 0, (2.1, 0) nearer 1, (3, 3) nearer 1: with labels 0, 0, 1 two of three are right.
        var test = torch.tensor<float>([1.9f, 0, 2.1f, 0, 3, 3], 3, 2);
        var testLabels = torch.tensor<long>([0, 0, 1]);
        Assert.Equal(2.0 / 3, MyPluginEvaluator.Accuracy(probe, probeLabels, test, testLabels, 2), 12);
    }
}
