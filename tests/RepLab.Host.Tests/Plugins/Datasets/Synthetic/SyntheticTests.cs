using FluentAssertions;
using RepLab.Abstractions;
using Xunit;
using static RepLab.Host.Tests.Plugins.Datasets.DatasetKit;

namespace RepLab.Host.Tests.Plugins.Datasets.Synthetic;

public class SyntheticTests
{
    [Fact]
    public void Synthetic_is_deterministic_labelled_and_balanced_enough()
    {
        using var a = Create("synthetic", ("Seed", 3)).Load("train");
        using var b = Create("synthetic", ("Seed", 3)).Load("train");
        using var c = Create("synthetic", ("Seed", 4)).Load("train");
        a.Images.equal(b.Images).Should().BeTrue();
        a.Images.equal(c.Images).Should().BeFalse();
        var counts = a.Labels!.data<long>().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        counts.Keys.Should().BeEquivalentTo(new long[] { 0, 1, 2, 3 });
        counts.Values.Should().OnlyContain(n => n > 512 / 4 / 2);
        using var rgb = Create("synthetic", ("Channels", 3), ("Size", 32)).Load("test");
        rgb.Shape.Should().Be(new ImageShape(3, 32, 32));
        var act = () => Create("synthetic").Load("validation");
        act.Should().Throw<ArgumentException>().WithMessage("*no split 'validation'*");
    }

    [Fact]
    public void Synthetic_data_has_no_files_as_its_source_and_names_its_shapes()
    {
        var dataset = Create("synthetic", ("TrainSize", 8));
        dataset.SourceOf("train").Should().BeEmpty("generated data is recorded as made by code");
        using var set = dataset.Load("train");
        set.ClassNames.Should().Equal("square", "ring", "cross", "bar");
        using var unlabeled = dataset.Load("unlabeled");
        unlabeled.ClassNames.Should().BeNull();
    }
}
