using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("epochz", "epochs")]
    [InlineData("tempreature", "temperature")]
    [InlineData("batchSize", "batch-size")]
    [InlineData("batch_size", "batch-size")]
    [InlineData("simclrr", "simclr")]
    public void Suggests_the_nearest_name(string given, string expected) =>
        DidYouMean.Suggest(given, ["epochs", "temperature", "batch-size", "simclr", "byol"]).Should().Be(expected);

    [Theory]
    [InlineData("xyz")]
    [InlineData("k")]
    [InlineData("completely-different")]
    public void Suggests_nothing_when_no_name_is_close(string given) =>
        DidYouMean.Suggest(given, ["epochs", "temperature", "lr"]).Should().BeNull();

    [Theory]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ab", "ba", 1)]
    [InlineData("same", "same", 0)]
    public void Distance_counts_edits_with_transpositions(string a, string b, int expected) =>
        DidYouMean.Distance(a, b).Should().Be(expected);
}
