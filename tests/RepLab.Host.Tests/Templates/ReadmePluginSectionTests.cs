using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Templates;

/// <summary>
/// The README's "Writing a plugin" block, run as written by bash from the checkout's root, on a machine of its
/// own (<see cref="OutsideTheRepository"/>). Its first line, ./replab pack, is left out: ./replab test packed
/// the feed before the tests.
/// </summary>
[Trait("Category", "Templates")]
public sealed class ReadmePluginSectionTests : IDisposable
{
    private readonly OutsideTheRepository outside = new();

    public void Dispose() => outside.Dispose();

    /// <summary>The first bash block after the heading, its lines as written.</summary>
    internal static IReadOnlyList<string> Block()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var section = readme[readme.IndexOf("#### Writing a plugin", StringComparison.Ordinal)..];
        var start = section.IndexOf("```bash\n", StringComparison.Ordinal) + "```bash\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)].TrimEnd('\n').Split('\n');
    }

    [Fact]
    public void The_plugin_section_runs_as_written()
    {
        var lines = Block();
        lines[0].Should().StartWith("./replab pack");
        var script = "set -euo pipefail\n" + string.Join("\n", lines.Skip(1)) + "\n";
        var output = outside.Run(Repo.Root, "bash", "-c", script);
        output.Should().Contain("Passed!").And.MatchRegex(@"eval/knn/top1 = [01]\.\d+");
        output.Should().MatchRegex(@"method/sim-siam\s+resume\s+pass").And.MatchRegex(@"5 checks of 1 plugin in \S+ passed");
    }

    [Theory]
    [InlineData("method/MyPlugin/MyPluginMethod.cs")]
    [InlineData("common/MyPlugin.Tests/ConformanceTests.cs")]
    public void The_code_the_readme_shows_is_the_templates_own(string template)
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var shown = File.ReadAllText(Path.Combine(Repo.Root, "templates", template)).Replace("MyPlugin", "SimSiam").Replace("my-plugin", "sim-siam");
        readme.Should().Contain("```csharp\n" + shown + "```", $"the README shows templates/{template} as `replab new method SimSiam` makes it");
    }
}
