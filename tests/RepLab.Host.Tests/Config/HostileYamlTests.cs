using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Config;

/// <summary>Experiment files built to exhaust the machine are refused quickly, with file and line (issue 12, case 1).</summary>
public class HostileYamlTests() : CliHarness("replab-hostile-yaml-")
{
    private string Write(string text)
    {
        var path = Path.Combine(Dir, "bomb.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Nested_aliases_that_expand_exponentially_are_refused_within_a_second()
    {
        // Ten levels of ten aliases each: 10^10 values once expanded, in under 1 KB.
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i <= 10; i++)
            lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        var bomb = Write(string.Join("\n", lines) + "\n");
        new FileInfo(bomb).Length.Should().BeLessThan(1024);
        foreach (var command in new[] { "validate", "config" })
        {
            var clock = Stopwatch.StartNew();
            var (code, _, stderr) = Cli(command, bomb);
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "bounded work, not a hang");
            code.Should().Be(2);
            stderr.Should().Contain("bomb.yaml:").And.Contain("expands past 100,000 values");
        }
    }

    [Fact]
    public void Nesting_deeper_than_the_bound_is_refused()
    {
        var (code, _, stderr) = Cli("validate", Write("deep: " + new string('[', 200) + new string(']', 200) + "\n"));
        code.Should().Be(2);
        stderr.Should().Contain("bomb.yaml:1:").And.Contain("nested more than 64 deep");
    }

    [Fact]
    public void Ordinary_anchors_and_aliases_still_resolve()
    {
        var (code, stdout, stderr) = Cli("config", Write("view: &v [{ plugin: random-flip }]\nviews: [*v, *v]\n"));
        code.Should().Be(0, stderr);
        stdout.Should().Contain("random-flip");
    }
}
