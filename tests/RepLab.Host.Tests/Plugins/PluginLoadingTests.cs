using System.Runtime.Loader;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

public class PluginLoadingTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("replab-plugins-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    private static PluginCatalog Fixtures() => new PluginCatalog().AddFolder(Repo.Fixture("PluginA")).AddFolder(Repo.Fixture("PluginB"));

    [Fact]
    public void Two_plugins_built_against_different_versions_of_one_library_both_load_and_work()
    {
        var catalog = Fixtures();
        catalog.Failures.Should().BeEmpty();
        catalog.Plugins.Select(p => p.Id).Should().BeEquivalentTo("augmentation/offset-a", "augmentation/offset-b");

        using var registry = new PluginRegistry(catalog);
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(0);
        var zeros = torch.zeros(1);
        registry.Create<IAugmentation>("offset-a").Apply(zeros, g).item().Should().Be(1, "SharedLib 1.0 offsets by 1");
        registry.Create<IAugmentation>("offset-b").Apply(zeros, g).item().Should().Be(20, "SharedLib 2.0 offsets by Scale(2) = 20");

        int LibVersion(string plugin) => AssemblyLoadContext.GetLoadContext(catalog.Plugins.Single(p => p.Name == plugin).Type.Assembly)!
            .Assemblies.Single(a => a.GetName().Name == "SharedLib").GetName().Version!.Major;
        LibVersion("offset-a").Should().Be(1);
        LibVersion("offset-b").Should().Be(2);
    }

    [Fact]
    public void A_stray_dll_without_deps_json_is_reported_and_a_listed_dependency_is_not()
    {
        // A plugin's build output copied whole, plus a file of random bytes named like an assembly.
        var folder = Path.Combine(temp, "plugins");
        foreach (var f in Directory.EnumerateFiles(Repo.Fixture("PluginA")))
            {
            Directory.CreateDirectory(folder);
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        }
        var random = new byte[4096];
        new Random(3).NextBytes(random);
        File.WriteAllBytes(Path.Combine(folder, "Stray.dll"), random);
        var catalog = new PluginCatalog().AddFolder(folder);
        catalog.Plugins.Select(p => p.Id).Should().Equal("augmentation/offset-a");
        var failure = catalog.Failures.Should().ContainSingle().Subject;
        failure.Path.Should().EndWith("Stray.dll");
        failure.Reason.Should().Contain("no Stray.deps.json").And.Contain("not loaded");
    }

    [Fact]
    public void An_assembly_with_one_refused_plugin_loads_none_of_them_and_says_which()
    {
        var catalog = new PluginCatalog().AddFolder(Repo.BuiltInPlugins).AddFolder(Repo.Fixture("PluginClash"));
        catalog.Plugins.Should().NotContain(p => p.Name == "clash-sibling", "an assembly loads whole or not at all");
        catalog.Plugins.Single(p => p.Id == "evaluator/knn").AssemblyPath.Should().NotContain("PluginClash", "the built-in knn stays");
        var failure = catalog.Failures.Single(f => f.Path.Contains("PluginClash"));
        failure.Reason.Should().Contain("evaluator/knn is already provided by").And.Contain("so its other plugins are not loaded either: augmentation/clash-sibling");
    }

    [Fact]
    public void A_plugins_sdk_types_are_the_hosts_types()
    {
        var d = Fixtures().Plugins.Single(p => p.Name == "offset-a");
        AssemblyLoadContext.GetLoadContext(d.Type.Assembly).Should().NotBe(AssemblyLoadContext.Default, "each plugin has its own context");
        var iface = d.Type.GetInterfaces().Single(i => i.Name == nameof(IAugmentation));
        iface.Should().BeSameAs(typeof(IAugmentation));
        d.OptionsType.BaseType.Should().BeSameAs(typeof(PluginOptions));
        d.Type.GetMethod("Apply")!.ReturnType.Should().BeSameAs(typeof(Tensor), "the engine is shared too");
    }

    [Fact]
    public void Options_reach_the_plugin_through_the_container()
    {
        var catalog = Fixtures();
        using var registry = new PluginRegistry(catalog);
        var d = registry.Find(PluginKind.Augmentation, "offset-a")!;
        var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        d.OptionsType.GetProperty("Factor")!.SetValue(options, 3.0);
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(0);
        registry.Create<IAugmentation>("offset-a", options).Apply(torch.zeros(1), g).item().Should().Be(3);
        var wrong = () => registry.Create<IAugmentation>("offset-a", new NoOptions());
        wrong.Should().Throw<ArgumentException>().WithMessage("*takes OffsetAOptions*");
        var missing = () => registry.Create<IAugmentation>("offset-c");
        missing.Should().Throw<KeyNotFoundException>().WithMessage("*no augmentation plugin named 'offset-c'*");
    }

    [Fact]
    public void A_broken_plugin_is_reported_with_its_path_and_reason_and_the_others_still_load()
    {
        var broken = Path.Combine(temp, "Broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "Broken.dll"), "this is not an assembly");
        File.Copy(Path.Combine(Repo.Fixture("PluginA"), "PluginA.deps.json"), Path.Combine(broken, "Broken.deps.json"));
        var badManifest = Path.Combine(temp, "BadManifest");
        Directory.CreateDirectory(badManifest);
        File.Copy(Path.Combine(Repo.Fixture("PluginB"), "PluginB.dll"), Path.Combine(badManifest, "BadManifest.dll"));
        File.WriteAllText(Path.Combine(badManifest, "BadManifest.deps.json"), "{}");
        var catalog = new PluginCatalog().AddFolder(Repo.Fixture("PluginA")).AddFolder(temp).AddFolder(Path.Combine(temp, "absent"));
        catalog.Plugins.Select(p => p.Name).Should().Equal("offset-a");
        catalog.Failures.Should().HaveCount(3);
        catalog.Failures[0].Path.Should().EndWith("BadManifest.dll");
        catalog.Failures[0].Reason.Should().Contain("not a .NET dependency manifest");
        catalog.Failures[1].Path.Should().EndWith("Broken.dll");
        catalog.Failures[1].Reason.Should().NotBeNullOrWhiteSpace();
        catalog.Failures[2].Reason.Should().Contain("does not exist");
    }

    /// <summary>
    /// PluginA as if built against RepLab.Abstractions 1.(n+1), with that newer SDK in its folder and listed in its
    /// deps.json: the host's copy cannot serve it. A loader that falls back to the plugin's copy (McMaster.NETCore.Plugins
    /// does) gives the plugin its own IAugmentation and [Plugin], which the host does not recognise.
    /// </summary>
    private (string Folder, Version Host, Version Newer) NewerSdkPlugin()
    {
        var folder = Path.Combine(temp, "NewerSdk");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.EnumerateFiles(Repo.Fixture("PluginA"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var host = typeof(IPlugin).Assembly.GetName().Version!;
        var newer = new Version(host.Major, host.Minor + 1, 0, 0);
        File.Copy(typeof(IPlugin).Assembly.Location, Path.Combine(folder, "RepLab.Abstractions.dll"));
        SetVersion(Path.Combine(folder, "RepLab.Abstractions.dll"), System.Reflection.Metadata.Ecma335.TableIndex.Assembly, 4, newer);
        SetVersion(Path.Combine(folder, "PluginA.dll"), System.Reflection.Metadata.Ecma335.TableIndex.AssemblyRef, 0, newer, "RepLab.Abstractions");
        var deps = Path.Combine(folder, "PluginA.deps.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(deps))!;
        var target = json["targets"]!.AsObject().First().Value!.AsObject();
        target[$"RepLab.Abstractions/{newer}"] = new System.Text.Json.Nodes.JsonObject { ["runtime"] = new System.Text.Json.Nodes.JsonObject { ["RepLab.Abstractions.dll"] = new System.Text.Json.Nodes.JsonObject() } };
        json["libraries"]![$"RepLab.Abstractions/{newer}"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "project", ["serviceable"] = false, ["sha512"] = "" };
        File.WriteAllText(deps, json.ToJsonString());
        return (folder, host, newer);
    }

    [Fact]
    public void A_plugin_built_against_a_newer_sdk_is_named_and_never_given_its_private_copy_of_the_sdk()
    {
        var (folder, host, newer) = NewerSdkPlugin();

        // Through the CLI: the test host resolves a request for a newer RepLab.Abstractions to its own
        // copy (its runner's resolver, seen), which replab does not.
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Repo.BuiltCli);
        psi.ArgumentList.Add("plugins");
        psi.Environment[PluginCatalog.PathVariable] = folder;
        using var cli = System.Diagnostics.Process.Start(psi)!;
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEnd();
        cli.WaitForExit(120_000).Should().BeTrue();
        stderr.Should().Contain($"plugin not loaded: {Path.Combine(folder, "PluginA.dll")}: ", "a plugin the host's SDK cannot serve is named, not dropped")
            .And.Contain($"RepLab.Abstractions {newer}").And.Contain($"this RepLab's SDK is {host.Major}.{host.Minor}");
        stdout.Result.Should().NotContain("offset-a");
    }

    [Fact]
    public void Our_load_context_alone_never_loads_a_plugins_private_copy_of_the_sdk()
    {
        // Past the catalog's version check, straight into the load context: whatever becomes of the plugin's
        // request for the newer SDK, the copy beside it is not what it gets.
        var (folder, _, _) = NewerSdkPlugin();
        var context = new PluginLoadContext(Path.Combine(folder, "PluginA.dll"), PluginCatalog.Shared);
        var assembly = context.LoadFromAssemblyPath(Path.Combine(folder, "PluginA.dll"));
        try { assembly.GetExportedTypes(); }
        catch (Exception e) when (e is FileLoadException or FileNotFoundException or System.Reflection.ReflectionTypeLoadException) { }
        context.Assemblies.Select(a => a.GetName().Name).Should().NotContain("RepLab.Abstractions");
    }

    [Fact]
    public void A_dll_reported_as_not_loaded_is_not_loaded_when_the_plugin_asks_for_it()
    {
        // PluginA whose deps.json does not list SharedLib: SharedLib.dll beside it is then a stray. It
        // is reported as not loaded, and it must not be: a loader that probes the plugin's folder for
        // any unlisted dll (McMaster.NETCore.Plugins does) loads it when the plugin first runs.
        var folder = Path.Combine(temp, "Unlisted");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.EnumerateFiles(Repo.Fixture("PluginA"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var deps = Path.Combine(folder, "PluginA.deps.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(deps))!;
        foreach (var (_, target) in json["targets"]!.AsObject())
        {
            foreach (var lib in target!.AsObject().Where(l => l.Key.StartsWith("SharedLib", StringComparison.Ordinal)).ToList()) target.AsObject().Remove(lib.Key);
            foreach (var (_, lib) in target.AsObject()) lib?["dependencies"]?.AsObject().Remove("SharedLib.V1");
        }
        foreach (var lib in json["libraries"]!.AsObject().Where(l => l.Key.StartsWith("SharedLib", StringComparison.Ordinal)).ToList()) json["libraries"]!.AsObject().Remove(lib.Key);
        File.WriteAllText(deps, json.ToJsonString());

        var catalog = new PluginCatalog().AddFolder(folder);
        catalog.Failures.Should().ContainSingle().Which.Path.Should().EndWith("SharedLib.dll");
        var context = AssemblyLoadContext.GetLoadContext(catalog.Plugins.Single().Type.Assembly)!;
        var load = () => context.LoadFromAssemblyName(new System.Reflection.AssemblyName("SharedLib, Version=1.0.0.0"));
        load.Should().Throw<FileNotFoundException>("what the catalog reports as not loaded stays not loaded");
    }

    /// <summary>Rewrites the version of an Assembly or AssemblyRef row in a built assembly, in place.</summary>
    private static void SetVersion(string path, System.Reflection.Metadata.Ecma335.TableIndex table, int versionOffset, Version version, string? refName = null)
    {
        var bytes = File.ReadAllBytes(path);
        int at;
        using (var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(bytes)))
        {
            var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var row = refName is null ? 0 : md.AssemblyReferences.Select((h, i) => (h, i)).Single(r => md.GetString(md.GetAssemblyReference(r.h).Name) == refName).i;
            at = pe.PEHeaders.MetadataStartOffset + System.Reflection.Metadata.Ecma335.MetadataReaderExtensions.GetTableMetadataOffset(md, table) + row * System.Reflection.Metadata.Ecma335.MetadataReaderExtensions.GetTableRowSize(md, table) + versionOffset;
        }
        foreach (var part in new[] { version.Major, version.Minor, version.Build, version.Revision })
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(at, 2), (ushort)part);
            at += 2;
        }
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Loading_the_same_folder_twice_registers_each_plugin_once()
    {
        var catalog = Fixtures().AddFolder(Repo.Fixture("PluginA"));
        catalog.Plugins.Should().HaveCount(2);
        catalog.Failures.Should().BeEmpty();
    }
}
