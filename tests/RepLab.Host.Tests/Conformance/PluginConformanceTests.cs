using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Testing;
using Xunit;
using Kit = RepLab.Testing.Conformance;

namespace RepLab.Host.Tests.Conformance;

/// <summary>The live-handle count is process-wide: these tests run alone.</summary>
[CollectionDefinition(nameof(LiveHandles), DisableParallelization = true)]
public sealed class LiveHandles;

/// <summary>
/// The conformance kit (<see cref="Host.Conformance.PluginChecks"/>, through RepLab.Testing as a
/// third-party plugin's tests use it) over every plugin of the built-in folder and of the SDK
/// fixtures, so a new plugin is tested the day it is added: options bind from defaults and from
/// YAML and are documented; one exercise per kind on synthetic data; a method's steps leave no live
/// handles behind and its checkpoint resumes bitwise; an evaluator's metrics are the ones it
/// declares, within their ranges.
/// </summary>
[Collection(nameof(LiveHandles))]
public class PluginConformanceTests
{
    static PluginConformanceTests() => Kit.BuiltInPlugins = Repo.BuiltInPlugins;

    /// <summary>"built-in" or an SDK fixture's name, to its folder.</summary>
    private static string Folder(string name) => name == "built-in" ? Repo.BuiltInPlugins : Repo.Fixture(name);

    /// <summary>Every case of every folder: (folder name, plugin id, check).</summary>
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var name in Repo.SdkFixtures.Prepend("built-in"))
            foreach (var row in ConformanceCases.For(Folder(name)))
                data.Add(name, (string)row[0], (string)row[1]);
        return data;
    }

    [Fact]
    public void Every_plugin_loads_and_the_fixtures_cover_every_kind()
    {
        foreach (var name in Repo.SdkFixtures.Prepend("built-in"))
            Kit.Kit.Add(Folder(name)).FailuresIn(Folder(name)).Should().BeEmpty();
        var r = Kit.Kit.Registry;
        r.Catalog.Failures.Should().BeEmpty();
        r.Names(PluginKind.Encoder).Should().Contain(["conv-small", "dcgan-discriminator", "resnet18-cifar"]);
        r.Names(PluginKind.Dataset).Should().Contain(["synthetic", "idx"]);
        r.Names(PluginKind.Evaluator).Should().Contain(["linear-probe", "knn", "fine-tune"]);
        r.Names(PluginKind.Callback).Should().Contain("online-probe-fixture");
        r.Names(PluginKind.Method).Should().Contain(["autoencoder", "denoising-autoencoder", "vae", "dcgan", "layerwise-autoencoder", "ema-fixture", "noise-fixture"]);
    }

    [Fact]
    public void Every_plugin_has_every_check_of_its_kind()
    {
        var cases = Cases().Select(row => ((string)row[1], (string)row[2])).ToList();
        foreach (var d in Repo.SdkFixtures.Prepend("built-in").SelectMany(name => Kit.Kit.PluginsIn(Folder(name))))
            cases.Where(c => c.Item1 == d.Id).Select(c => c.Item2).Should()
                .BeEquivalentTo(d.Kind == PluginKind.Method ? ["defaults", "docs", "yaml", "exercise", "resume"] : new[] { "defaults", "docs", "yaml", "exercise" }, d.Id);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_plugin_passes_the_conformance_checks(string folder, string plugin, string check)
    {
        if (plugin == "executor/slurm" && check == "exercise") Plugins.Executors.Slurm.SlurmCluster.EnsureUp();
        Kit.Assert(Folder(folder), plugin, check);
    }

    [Fact]
    public void A_failing_check_throws_with_the_plugin_the_check_and_the_reason()
    {
        var undocumented = Repo.Fixture("SdkUndocumented");
        ConformanceCases.For(undocumented).Should().ContainEquivalentOf(new object[] { "augmentation/undocumented-fixture", "docs" });

        var thrown = FluentActions.Invoking(() => Kit.Assert(undocumented, "augmentation/undocumented-fixture", "docs")).Should().Throw<ConformanceFailedException>().Which;

        thrown.Message.Should().Be("augmentation/undocumented-fixture: docs failed: option Strength of UndocumentedOptions needs a /// <summary> doc comment (meaning, unit, default)");
        thrown.Result.Passed.Should().BeFalse();
        Kit.Run(undocumented, "augmentation/undocumented-fixture", "exercise").Passed.Should().BeTrue();
    }

    [Fact]
    public void A_case_that_hangs_fails_at_the_time_limit_and_one_that_throws_names_the_exception()
    {
        using var checks = new Host.Conformance.PluginChecks([Repo.BuiltInPlugins]) { TimeLimit = TimeSpan.FromSeconds(1) };
        var nan = Repo.Fixture("PluginNan");
        checks.Cases(nan).Should().Contain(new Host.Conformance.ConformanceCase("dataset/hanging", "exercise"));

        var hung = checks.Run("dataset/hanging", "exercise");
        var unknown = checks.Run("method/no-such-method", "defaults");

        hung.Passed.Should().BeFalse();
        hung.Reason.Should().StartWith("did not finish within 1 s");
        hung.Duration.Should().BeLessThan(TimeSpan.FromSeconds(10));
        unknown.Reason.Should().Contain("no plugin method/no-such-method is loaded");
        checks.Run("evaluator/non-finite", "exercise").Reason.Should().Contain("eval/non-finite-nan = NaN lies outside its declared range");
    }
}
