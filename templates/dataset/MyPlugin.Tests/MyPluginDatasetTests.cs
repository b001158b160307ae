using Xunit;

namespace MyPlugin.Tests;

public sealed class MyPluginDatasetTests
{
    [Fact]
    public void Splits_have_their_sizes_and_labels_in_range_and_one_seed_gives_one_dataset()
    {
        var options = new MyPluginOptions { TrainSize = 20, TestSize = 7, Size = 16, Seed = 3 };
        var train = new MyPluginDataset(options).Load("train");
        Assert.Equal([20L, 1, 16, 16], train.Images.shape);
        Assert.Equal(MyPluginDataset.Classes, train.Classes);
        Assert.All(train.Labels!.data<long>().ToArray(), l => Assert.InRange(l, 0, 2));
        Assert.Equal(7, new MyPluginDataset(options).Load("test").Count);
        Assert.Equal(train.Images.data<byte>().ToArray(), new MyPluginDataset(options).Load("train").Images.data<byte>().ToArray());
    }

    [Fact]
    public void A_vertical_stripe_image_is_constant_down_each_column()
    {
        var image = new byte[4 * 4];
        MyPluginDataset.Draw(image, label: 1, size: 4, period: 2, phase: 0);
        Assert.Equal(new byte[] { 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0 }, image);
    }

    [Fact]
    public void An_unknown_split_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new MyPluginDataset(new MyPluginOptions()).Load("validation"));
        Assert.Contains("'validation'", e.Message);
    }
}
