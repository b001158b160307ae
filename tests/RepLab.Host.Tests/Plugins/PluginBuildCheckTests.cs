using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

/// <summary>Plugins built the wrong way: each mistake named with what to change, never .NET's own failure later.</summary>
public class PluginBuildCheckTests : CliHarness
{
    public PluginBuildCheckTests() : base("replab-buildchecks-") { }

    private string Experiment(string fixture, string method)
    {
        var path = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(path, $$"""
            name: checks
            plugins: [{{fixture}}]
            dataset: { plugin: synthetic }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: {{method}} }
            """);
        return path;
    }

    /// <summary>A copy of a fixture's build output in a temp folder.</summary>
    private string Copy(string fixture)
    {
        var folder = Path.Combine(Dir, fixture);
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.EnumerateFiles(Repo.Fixture(fixture))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        return folder;
    }

    [Fact]
    public void The_sdk_the_engine_and_the_host_carry_one_version_and_assembly_version_major_minor_0_0()
    {
        static string Of(System.Reflection.Assembly a) =>
            a.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        var version = Version.Parse(Of(typeof(IPlugin).Assembly));
        version.Major.Should().BeGreaterThanOrEqualTo(1, "the SDK is frozen from 1.0");
        foreach (var a in new[] { typeof(IPlugin).Assembly, typeof(RepLab.Torch.Tensor).Assembly, typeof(PluginCatalog).Assembly })
        {
            Of(a).Should().Be(version.ToString(), $"{a.GetName().Name} has the one version of Directory.Build.props");
            a.GetName().Version.Should().Be(new Version(version.Major, version.Minor, 0, 0), $"{a.GetName().Name}'s assembly version is Major.Minor.0.0");
        }
    }

    [Theory]
    [InlineData("1.0.0.0", "1.0.0.0", true)]
    [InlineData("1.0.0.0", "1.3.0.0", true)]
    [InlineData("1.4.0.0", "1.3.0.0", false)]
    [InlineData("2.0.0.0", "1.3.0.0", false)]
    [InlineData("0.9.0.0", "1.0.0.0", false)]
    public void A_plugin_loads_on_the_same_major_and_the_same_or_a_newer_host_minor(string built, string host, bool loads) =>
        PluginBuildChecks.Compatible(Version.Parse(built), Version.Parse(host)).Should().Be(loads);

    private static readonly Version Sdk = typeof(RepLab.Abstractions.IPlugin).Assembly.GetName().Version!;

    [Fact]
    public void A_plugin_built_against_the_next_major_sdk_is_refused_from_its_metadata_naming_both_versions()
    {
        var catalog = new PluginCatalog().AddFolder(Repo.Fixture("PluginNextMajor"));
        catalog.Plugins.Should().BeEmpty();
        catalog.Failures.Should().ContainSingle().Which.Reason.Should()
            .Contain("built against RepLab SDK 2.0 (RepLab.Abstractions 2.0.0.0)").And.Contain($"this RepLab's SDK is {Sdk.Major}.{Sdk.Minor} ({Sdk})");

        var (code, _, stderr) = Cli("validate", Experiment(Repo.Fixture("PluginNextMajor"), "next-major"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("unknown method 'next-major'").And.Contain("PluginNextMajor.dll: built against RepLab SDK 2.0").And.NotContain("FileLoadException");
    }

    [Fact]
    public void A_plugin_kind_class_without_the_attribute_is_named_when_its_name_is_unknown_and_by_plugins()
    {
        var catalog = new PluginCatalog().AddFolder(Repo.Fixture("GuardUnmarked"));
        catalog.Notes.Should().ContainSingle().Which.Message.Should()
            .Be("loaded and holds BarlowTwinsMethod implementing IMethod but without [Plugin(\"name\")]: add the attribute to make it a plugin");

        var (code, _, stderr) = Cli("validate", Experiment(Repo.Fixture("GuardUnmarked"), "barlow-twins"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("unknown method 'barlow-twins'").And.Contain("GuardUnmarked.dll loaded and holds BarlowTwinsMethod implementing IMethod but without [Plugin(\"name\")]");

        Environment.SetEnvironmentVariable(PluginCatalog.PathVariable, Repo.BuiltInPlugins + ":" + Repo.Fixture("GuardUnmarked"));
        var (listed, _, notes) = Cli("plugins");
        listed.Should().Be(0, notes);
        notes.Should().Contain("holds BarlowTwinsMethod implementing IMethod but without [Plugin(\"name\")]");
    }

    [Fact]
    public void The_built_in_plugins_have_no_unmarked_plugin_classes_or_private_sdk_copies()
    {
        new PluginCatalog().AddFolder(Repo.BuiltInPlugins).Notes.Should().BeEmpty();
    }

    [Fact]
    public void A_plugin_built_without_dynamic_loading_is_refused_naming_the_missing_dependency_and_the_property()
    {
        // What such a build leaves: no runtimeconfig.json, and its dependencies not copied beside it.
        var folder = Copy("PluginA");
        File.Delete(Path.Combine(folder, "PluginA.runtimeconfig.json"));
        File.Delete(Path.Combine(folder, "SharedLib.dll"));
        var catalog = new PluginCatalog().AddFolder(folder);
        catalog.Plugins.Should().BeEmpty();
        catalog.Failures.Should().ContainSingle().Which.Reason.Should().Contain("PluginA.dll depends on SharedLib.dll")
            .And.Contain("built without <EnableDynamicLoading>true</EnableDynamicLoading>").And.Contain("csproj");
    }

    [Fact]
    public void A_private_copy_of_the_sdk_beside_a_plugin_is_noted_with_the_reference_to_write()
    {
        var folder = Copy("PluginA");
        File.Copy(typeof(IPlugin).Assembly.Location, Path.Combine(folder, "RepLab.Abstractions.dll"));
        var catalog = new PluginCatalog().AddFolder(folder);
        catalog.Plugins.Select(p => p.Name).Should().Equal(["offset-a"], "the copy is never loaded: the plugin still works");
        catalog.Notes.Should().Contain(n => n.Path == Path.Combine(folder, "RepLab.Abstractions.dll")).Which.Message.Should()
            .Contain("private copy of an SDK assembly").And.Contain("Private=\"false\" ExcludeAssets=\"runtime\"");
    }
}
