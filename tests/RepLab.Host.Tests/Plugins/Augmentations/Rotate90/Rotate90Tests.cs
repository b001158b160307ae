using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations.Rotate90;

public class Rotate90Tests
{
    /// <summary>rotate90's labels, through the SDK interface a method plugin in another assembly would use.</summary>
    private static (Tensor Rotated, Tensor Labels) ApplyWithLabels(IAugmentation rotate, Tensor x, ulong seed)
    {
        using var g = new Generator(seed);
        return rotate.Should().BeAssignableTo<ILabellingAugmentation>().Which.ApplyWithLabels(x, g);
    }

    /// <summary>One clockwise quarter turn on (H, W): out[i, j] = in[n - 1 - j, i].</summary>
    private static Tensor Clockwise(Tensor x) => x.flip(2).transpose(2, 3);

    [Fact]
    public void Rotating_back_by_the_label_recovers_the_input_and_labels_are_uniform()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, 2, 6, 6], 19);
        var (rotated, labels) = ApplyWithLabels(Create("rotate90"), x, seed: 18);
        labels.dtype.Should().Be(ScalarType.Int64);
        labels.shape.Should().Equal(n);
        var k = labels.data<long>();
        for (var i = 0; i < n; i++)
        {
            var back = rotated.slice(0, i, i + 1);
            for (var t = 0; t < k[i]; t++) back = Clockwise(back);
            back.equal(x.slice(0, i, i + 1)).Should().BeTrue($"sample {i} was turned {k[i]} times");
        }
        // Multinomial(2000, 1/4 each): standard deviation 19.4.
        for (var label = 0L; label < 4; label++) k.Count(v => v == label).Should().BeInRange(420, 580);
        // Apply draws the same rotations as ApplyWithLabels.
        Apply(Create("rotate90"), x, seed: 18).equal(rotated).Should().BeTrue();
    }

    [Fact]
    public void A_label_of_1_is_a_counter_clockwise_quarter_turn()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 16, side = 5;
        var x = Uniform([n, 1, side, side], 20);
        var (rotated, labels) = ApplyWithLabels(Create("rotate90"), x, seed: 19);
        var k = labels.data<long>();
        var i = Array.IndexOf(k, 1L);
        i.Should().BeGreaterThanOrEqualTo(0, "16 draws include a 1");
        var (xs, ys) = (Doubles(x), Doubles(rotated));
        // numpy / torch.rot90: out[r, c] = in[c, side - 1 - r].
        for (var r = 0; r < side; r++)
        for (var c = 0; c < side; c++)
            ys[(i * side + r) * side + c].Should().Be(xs[(i * side + c) * side + side - 1 - r]);
    }

    [Fact]
    public void Rotate90_rejects_non_square_images()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => Apply(Create("rotate90"), torch.rand([2, 1, 4, 6]), seed: 0);
        act.Should().Throw<ArgumentException>().WithMessage("*square*");
    }
}
