using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Config;

/// <summary>
/// Experiment files built to exhaust the machine are refused quickly, with file and line (issue 12, case 1; issue 20,
/// part 3); a value at each of <see cref="RepLab.Config.ConfigLimits"/> is accepted, one past it refused naming the limit.
/// </summary>
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

    private static string Keys(int count, Func<int, string> value) => string.Concat(Enumerable.Range(0, count).Select(i => $"k{i}: {value(i)}\n"));

    public static TheoryData<string, string, string, string> AtAndPastEachLimit => new()
    {
        { "value", "v: " + new string('x', 10_000) + "\n", "v: " + new string('x', 10_001) + "\n", "bomb.yaml:1:4: v: a value of more than 10,000 characters" },
        // YAML allows implicit keys of up to 1,024 characters; an explicit key ('? ') may be longer.
        { "key", "? " + new string('k', 10_000) + "\n: 1\n", "? " + new string('k', 10_001) + "\n: 1\n", "bomb.yaml:1:3: (top level): a key of more than 10,000 characters" },
        { "list", "v: [" + string.Join(",", Enumerable.Repeat("0", 10_000)) + "]\n", "v: [" + string.Join(",", Enumerable.Repeat("0", 10_001)) + "]\n", "bomb.yaml:1:4: v: a list of more than 10,000 items" },
        { "map", Keys(10_000, _ => "0"), Keys(10_001, _ => "0"), "bomb.yaml:1:1: (top level): a map of more than 10,000 keys" },
        { "file", "v: 1\n" + new string('#', (1 << 20) - 6) + "\n", "v: 1\n" + new string('#', (1 << 20) - 5) + "\n", "bomb.yaml:2:1048572: (top level): the experiment's YAML passes 1 MiB (1,048,576 bytes) here" },
        { "interpolation", "a: " + new string('x', 5_000) + "\nb: \"${a}${a}\"\n", "a: " + new string('x', 5_000) + "\nb: \"${a}${a}x\"\n", "bomb.yaml:2:4: b: its ${...} references make a value of more than 10,000 characters" },
    };

    [Theory]
    [MemberData(nameof(AtAndPastEachLimit))]
    public void A_document_at_a_limit_is_accepted_and_one_past_it_is_refused_naming_the_limit(string limit, string at, string past, string message)
    {
        var (code, _, stderr) = Cli("config", Write(at));
        code.Should().Be(0, $"{limit}: at the limit is allowed: {stderr}");
        (code, _, stderr) = Cli("config", Write(past));
        code.Should().Be(2, limit);
        stderr.Should().Contain(message);
    }

    [Fact]
    public void The_size_limit_counts_an_experiment_and_its_defaults_files_together()
    {
        var half = new string('#', 600_000);
        File.WriteAllText(Path.Combine(Dir, "base.yaml"), $"seed: 1\n{half}\n");
        var (code, _, stderr) = Cli("config", Write($"defaults: [base.yaml]\nname: x\n{half}\n"));
        code.Should().Be(2);
        // The experiment is read first (its defaults: are in it), so its defaults file is where the bytes run out.
        stderr.Should().Contain("base.yaml:2:").And.Contain("passes 1 MiB").And.Contain("a defaults file counts each time it is included");
    }

    [Fact]
    public void Files_each_within_the_bounds_are_refused_when_merged_past_them_naming_the_merge()
    {
        static string Lists(string prefix) => string.Concat(Enumerable.Range(0, 6).Select(i => $"{prefix}{i}: [" + string.Join(",", Enumerable.Repeat("0", 10_000)) + "]\n"));
        File.WriteAllText(Path.Combine(Dir, "base.yaml"), Lists("a"));
        var (code, _, stderr) = Cli("config", Write("defaults: [base.yaml]\n" + Lists("b")));
        code.Should().Be(2);
        stderr.Should().Contain("(top level): the document grows past 100,000 values once its defaults files and overrides are merged");
    }

    [Fact]
    public void Aliases_that_multiply_a_long_value_or_nest_past_the_depth_are_refused()
    {
        var lines = new List<string> { "a0: &a0 \"" + new string('x', 9_000) + "\"" };
        for (var i = 1; i <= 6; i++) lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        var (code, _, stderr) = Cli("config", Write(string.Join("\n", lines) + "\n"));
        code.Should().Be(2);
        stderr.Should().Contain("bomb.yaml:").And.Contain("expands past 4,000,000 characters of keys and values once its aliases are resolved");

        lines = ["a0: &a0 [x]"];
        for (var i = 1; i <= 100; i++) lines.Add($"a{i}: &a{i} [*a{i - 1}]");
        (code, _, stderr) = Cli("config", Write(string.Join("\n", lines) + "\n"));
        code.Should().Be(2);
        stderr.Should().Contain("bomb.yaml:64:").And.Contain("nested more than 64 deep once aliases are resolved");
    }

    [Fact]
    public void References_that_chain_or_nest_past_the_bounds_are_refused_with_the_key()
    {
        // k0 names k1, which names k2, ...: resolving k0 goes 2,000 references deep.
        var chain = string.Concat(Enumerable.Range(0, 2_000).Select(i => $"k{i}: \"x${{k{i + 1}}}\"\n")) + "k2000: end\n";
        var (code, _, stderr) = Cli("config", Write(chain));
        code.Should().Be(2);
        stderr.Should().Contain("more than 256 nested values and references");

        // Each k wraps the one before in a list: the resolved tree is as deep as the chain is long.
        var nested = "k0: a\n" + string.Concat(Enumerable.Range(1, 100).Select(i => $"k{i}: [\"${{k{i - 1}}}\"]\n"));
        (code, _, stderr) = Cli("config", Write(nested));
        code.Should().Be(2);
        stderr.Should().Contain("bomb.yaml:66:").And.Contain("k65: this value grows to maps and lists nested more than 64 deep once its ${...} references are resolved");
    }
}
