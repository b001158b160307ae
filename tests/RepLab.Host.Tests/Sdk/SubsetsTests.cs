using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests;

public class SubsetsTests
{
    private static ImageSet Set()
    {
        // 100 images: class c has 10 * (c + 1) images, pixel value = image index (mod 256).
        var labels = Enumerable.Range(0, 4).SelectMany(c => Enumerable.Repeat((long)c, 10 * (c + 1))).ToArray();
        var pixels = Enumerable.Range(0, labels.Length).SelectMany(i => Enumerable.Repeat((byte)i, 4)).ToArray();
        return new ImageSet(torch.tensor<byte>(pixels, [labels.Length, 1, 2, 2]), torch.tensor<long>(labels), 4, "toy");
    }

    [Fact]
    public void Stratified_keeps_the_fraction_of_every_class_and_follows_the_seed()
    {
        using var set = Set();
        using var a = Subsets.Stratified(set, 0.1, seed: 1);
        var counts = a.Labels!.data<long>().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        counts.Should().Equal(new Dictionary<long, int> { [0] = 1, [1] = 2, [2] = 3, [3] = 4 });
        // Each kept image keeps its own label.
        var pixel = a.Images.select(2, 0).select(2, 0).flatten().data<byte>();
        var original = set.Labels!.data<long>();
        pixel.Select(p => original[p]).Should().Equal(a.Labels!.data<long>());
        using var b = Subsets.Stratified(set, 0.1, seed: 1);
        using var c = Subsets.Stratified(set, 0.1, seed: 2);
        b.Images.equal(a.Images).Should().BeTrue();
        c.Images.equal(a.Images).Should().BeFalse();
        using var tiny = Subsets.Stratified(set, 0.001, seed: 1);
        tiny.Count.Should().Be(4, "at least one image per class");
        var bad = () => Subsets.Stratified(set, 0, 1);
        bad.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Channel_statistics_are_those_of_the_scaled_pixels()
    {
        using var set = new ImageSet(torch.tensor<byte>([0, 255, 0, 255, 51, 51, 51, 51], [1, 2, 2, 2]), null, 0, "two-channel");
        var (mean, std) = Subsets.ChannelStatistics(set);
        mean.Should().Equal(0.5, 0.2);
        std[0].Should().BeApproximately(0.5, 1e-12);
        std[1].Should().BeApproximately(0, 1e-12);
    }
}
