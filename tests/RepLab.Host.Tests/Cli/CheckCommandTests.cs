using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// <c>replab check FOLDER</c> on third-party-style plugin folders: a conforming one passes, one with an
/// undocumented option fails with the reason, a missing or empty folder is the user's error. In the
/// conformance collection: a method's check reads the process-wide live-handle count.
/// </summary>
[Collection(nameof(Conformance.LiveHandles))]
public sealed class CheckCommandTests() : CliHarness("replab-check-")
{
    [Fact]
    public void A_conforming_plugin_folder_passes_every_check_and_exits_0()
    {
        var (code, stdout, stderr) = Cli("check", Repo.Fixture("SdkEma"));

        code.Should().Be(0, stdout + stderr);
        var rows = stdout.Split('\n').Where(l => l.Contains("method/ema-fixture")).ToList();
        rows.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Should().Equal("defaults", "docs", "yaml", "exercise", "resume");
        rows.Should().OnlyContain(l => l.Contains("pass"));
        stdout.Should().Contain("5 checks of 1 plugin in").And.Contain(" s");
    }

    [Fact]
    public void A_plugin_with_an_undocumented_option_fails_the_docs_check_with_the_reason_and_exits_1()
    {
        var (code, stdout, stderr) = Cli("check", Repo.Fixture("SdkUndocumented"));

        code.Should().Be(1, stdout + stderr);
        var docs = stdout.Split('\n').Single(l => l.Contains("augmentation/undocumented-fixture") && l.Contains("docs"));
        docs.Should().Contain("FAIL").And.Contain("option Strength of UndocumentedOptions needs a /// <summary> doc comment");
        stdout.Split('\n').Where(l => l.Contains("augmentation/undocumented-fixture")).Should().HaveCount(4).And.ContainSingle(l => l.Contains("FAIL"), "the other checks pass");
        stdout.Should().Contain("1 of 4 checks failed");
    }

    [Fact]
    public void A_method_that_keeps_a_module_out_of_its_checkpoint_fails_with_the_runs_own_words()
    {
        var (code, stdout, stderr) = Cli("check", Repo.Fixture("GuardHiddenModule"));

        code.Should().Be(1, stdout + stderr);
        var lines = stdout.Split('\n').Where(l => l.Contains("FAIL")).ToList();
        lines.Should().Contain(l => l.Contains("exercise")).And.Contain(l => l.Contains("resume"));
        stdout.Should().Contain("holds module field 'projector'");
    }

    [Fact]
    public void A_folder_whose_method_lacks_the_attribute_says_so_and_exits_2()
    {
        var (code, _, stderr) = Cli("check", Repo.Fixture("GuardUnmarked"));

        code.Should().Be(2);
        stderr.Should().Contain("holds BarlowTwinsMethod implementing IMethod but without [Plugin(\"name\")]").And.Contain("no plugin found in");
    }

    [Fact]
    public void An_assembly_that_does_not_load_is_a_failed_load_check_naming_the_clash()
    {
        var (code, stdout, stderr) = Cli("check", Repo.Fixture("PluginClash"));

        code.Should().Be(1, stdout + stderr);
        stdout.Should().Contain("PluginClash.dll").And.Contain("load").And.Contain("FAIL").And.Contain("evaluator/knn is already provided by");
    }

    [Fact]
    public void A_missing_folder_exits_2_naming_the_path()
    {
        var missing = Path.Combine(Dir, "no-such-plugin");

        var (code, stdout, stderr) = Cli("check", missing);

        code.Should().Be(2);
        stderr.Should().Contain($"plugin folder not found: {missing}");
        stdout.Should().BeEmpty();
    }

    [Fact]
    public void A_folder_without_plugins_exits_2_saying_what_a_plugin_folder_holds()
    {
        var (code, _, stderr) = Cli("check", Dir);

        code.Should().Be(2);
        stderr.Should().Contain($"no plugin found in {Dir}").And.Contain("X.deps.json");
    }
}
