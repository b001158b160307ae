using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;
using static RepLab.Host.Tests.Plugins.Augmentations.AugmentationKit;

namespace RepLab.Host.Tests.Plugins.Augmentations;

/// <summary>
/// What every augmentation shares, each test over several of them: outputs in [0, 1] and new tensors, p = 0 as the
/// identity, per-sample draws from the generator's stream (the same seed, the same views), and the default rates p.
/// </summary>
public class InvariantTests
{
    /// <summary>
    /// Every registered augmentation that draws per-sample parameters: those with a probability option
    /// <c>p</c> (normalize draws none), read from the registry, so a new augmentation is tested the day it is added.
    /// </summary>
    public static TheoryData<string> Random => new(Repo.BuiltIns.Catalog.Plugins
        .Where(p => p.Kind == PluginKind.Augmentation && p.OptionsType.GetProperty("P") is not null)
        .Select(p => p.Name).Order(StringComparer.Ordinal));

    /// <summary>Largest absolute difference per sample, [N].</summary>
    private static double[] MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().flatten(1).amax(1).to(ScalarType.Float64);
        return d.data<double>();
    }

    [Theory]
    [MemberData(nameof(Random))]
    public void Outputs_stay_in_the_unit_interval_and_are_new_tensors(string name)
    {
        using var scope = torch.NewDisposeScope();
        // 20 pixels: the smallest side where blur's default kernel (a tenth of the side, made odd) has 3 taps.
        // Black and white pixels next to uniform ones: where blends and blurs would overshoot if anywhere.
        var binary = (Uniform([64, 3, 20, 20], 1) > 0.5).to(ScalarType.Float32);
        var x = torch.cat([binary, Uniform([64, 3, 20, 20], 2)], 0);
        var y = Apply(Always(name), x, seed: 1);
        y.shape.Should().Equal(x.shape);
        y.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        y.max().item<float>().Should().BeLessThanOrEqualTo(1);
        y.is_alias_of(x).Should().BeFalse("augmentations return a new tensor");
        y.equal(x).Should().BeFalse($"{name} at p = 1 changes the batch");
    }

    [Theory]
    [MemberData(nameof(Random))]
    public void Probability_0_is_the_identity(string name)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var channels in new[] { 1, 3 })
        {
            var x = Uniform([32, channels, 16, 16], 3);
            Apply(Create(name, ("P", 0.0)), x, seed: 2).equal(x).Should().BeTrue($"{name} with p = 0 leaves {channels}-channel samples alone");
        }
    }

    [Theory]
    [MemberData(nameof(Random))]
    public void The_same_seed_gives_the_same_views_and_another_seed_others(string name)
    {
        using var scope = torch.NewDisposeScope();
        var x = Uniform([32, 3, 20, 20], 4);
        var augmentation = Create(name);
        var a = Apply(augmentation, x, seed: 42);
        Apply(augmentation, x, seed: 42).equal(a).Should().BeTrue();
        Apply(augmentation, x, seed: 43).equal(a).Should().BeFalse();
        // One generator is a stream: consecutive batches get fresh parameters.
        using var g = new Generator(42);
        using var first = augmentation.Apply(x, g);
        using var second = augmentation.Apply(x, g);
        second.equal(first).Should().BeFalse();
    }

    [Theory]
    [InlineData("color-jitter")]
    [InlineData("gaussian-blur")]
    [InlineData("random-erasing")]
    public void Every_sample_of_a_batch_draws_its_own_parameters(string name)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 64;
        var x = Uniform([1, 3, 32, 32], 5).expand(n, 3, 32, 32).contiguous();
        var y = Apply(Always(name), x, seed: 3);
        var first = y.slice(0, 0, 1).expand(n, 3, 32, 32);
        MaxAbsDiff(y, first).Skip(1).Should().OnlyContain(d => d > 0, "identical inputs get different parameters");
    }

    [Theory]
    [InlineData("color-jitter", 0.8)]
    [InlineData("random-grayscale", 0.2)]
    [InlineData("gaussian-blur", 0.5)]
    [InlineData("solarize", 0.2)]
    [InlineData("random-erasing", 0.5)]
    public void Samples_are_changed_at_the_default_rate_p(string name, double p)
    {
        using var scope = torch.NewDisposeScope();
        const int n = 2000;
        var x = Uniform([n, 3, 20, 20], 6);
        var changed = MaxAbsDiff(Apply(Create(name), x, seed: 4), x).Count(d => d > 0);
        // Binomial(2000, p): standard deviation at most 22.4, so 4.5 of them either side.
        changed.Should().BeInRange((int)(n * p - 100), (int)(n * p + 100), $"{name} changes each sample with probability {p}");
    }

    [Theory]
    [InlineData("random-resized-crop")]
    [InlineData("random-flip")]
    public void Outputs_stay_in_the_unit_interval(string name)
    {
        using var scope = torch.NewDisposeScope();
        // Black and white pixels: where interpolation would overshoot if anywhere.
        var x = (Uniform([128, 3, 16, 16], 11) > 0.5).to(ScalarType.Float32);
        var y = Apply(Create(name), x, seed: 5);
        y.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        y.max().item<float>().Should().BeLessThanOrEqualTo(1);
        y.is_alias_of(x).Should().BeFalse("augmentations return a new tensor");
    }
}
