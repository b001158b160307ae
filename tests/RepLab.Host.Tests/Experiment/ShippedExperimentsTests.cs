using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// Every experiment the repository ships (experiments/, the shared pieces under base/ aside) passes
/// <c>replab validate</c> against the built-in plugins: a renamed option or plugin cannot leave an
/// example broken. Data files are not needed to validate.
/// </summary>
public sealed class ShippedExperimentsTests() : CliHarness("replab-shipped-")
{
    public static TheoryData<string> Experiments => new(
        Directory.EnumerateFiles(Path.Combine(Repo.Root, "experiments"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Path.Combine(Repo.Root, "experiments"), f).StartsWith("base"))
            .Select(f => Path.GetRelativePath(Repo.Root, f))
            .Order(StringComparer.Ordinal));

    [Fact]
    public void Every_view_preset_is_used_by_a_shipped_experiment()
    {
        var presets = Directory.GetFiles(Path.Combine(Repo.Root, "experiments", "base", "views"), "*.yaml").Select(Path.GetFileName).ToList();
        var used = ((IEnumerable<object[]>)Experiments).Select(r => File.ReadAllText(Path.Combine(Repo.Root, (string)r[0]))).ToList();
        presets.Should().NotBeEmpty();
        foreach (var preset in presets) used.Should().Contain(text => text.Contains($"views/{preset}"), $"{preset} is validated through an experiment");
    }

    [Theory]
    [MemberData(nameof(Experiments))]
    public void Validates(string experiment)
    {
        var (code, stdout, stderr) = Cli("validate", Path.Combine(Repo.Root, experiment));
        code.Should().Be(0, stderr);
        stdout.Should().Contain("valid");
    }
}
