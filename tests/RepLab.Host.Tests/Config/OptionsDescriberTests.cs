using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

public sealed class OptionsDescriberTests
{
    [Fact]
    public void Describes_keys_types_defaults_and_docs_with_nested_options_flattened()
    {
        var rows = OptionsDescriber.Describe(typeof(ExampleSimClrOptions));

        rows.Select(r => r.Key).Should().Equal("temperature", "projection", "projection.hidden", "projection.out", "loss");
        rows[0].Should().Be(new OptionDescription("temperature", "double (0.0001..10)", "0.5", "Softmax temperature of the NT-Xent loss."));
        rows[2].Should().Be(new OptionDescription("projection.hidden", "int (1..8192)", "128", "Hidden width."));
        rows[4].Type.Should().Be("one of: mse, negative-cosine");
        rows[4].Default.Should().Be("mse");
    }

    [Fact]
    public void Multi_line_summaries_become_one_line_and_cref_names_are_kept()
    {
        var rows = OptionsDescriber.Describe(typeof(ExampleOptions)).ToDictionary(r => r.Key);

        rows["seed"].Doc.Should().Be("Random seed; the same seed gives the same run.");
        rows["trainer.min-lr"].Doc.Should().Be("Final learning rate of the cosine schedule (at most Lr).");
        rows["scales"].Type.Should().Be("list of float");
        rows["scales"].Default.Should().Be("[0.2, 1]");
        rows["tags"].Type.Should().Be("map of string");
        rows["trainer.checkpoint-every"].Type.Should().Be("long?");
        rows["trainer.checkpoint-every"].Default.Should().Be("null");
    }

    [Fact]
    public void Undocumented_properties_have_an_empty_doc()
    {
        OptionsDescriber.Describe(typeof(Undocumented)).Should().ContainSingle()
            .Which.Should().Be(new OptionDescription("value", "int", "4", ""));
    }
}

#pragma warning disable CS1591 // undocumented on purpose
public sealed class Undocumented
{
    public int Value { get; set; } = 4;
}
#pragma warning restore CS1591
