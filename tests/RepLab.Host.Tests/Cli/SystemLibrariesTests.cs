using System.Diagnostics;
using System.Runtime.InteropServices;
using FluentAssertions;
using RepLab.Host.Cli;
using Xunit;

namespace RepLab.Host.Tests.Cli;

/// <summary>
/// A missing system library (libtorch, OpenBLAS) is named with the package and the command that installs it.
/// The loader's messages are real: a shared object linked against a library that is then deleted.
/// </summary>
public sealed class SystemLibrariesTests : CliHarness
{
    public SystemLibrariesTests() : base("replab-syslibs-") { }

    /// <summary>Builds lib{<paramref name="needy"/>}.so linked against lib{<paramref name="ghost"/>}.so, then deletes the latter.</summary>
    private string LibraryMissing(string needy, string ghost)
    {
        Compile($"lib{ghost}.so", "int ghost(void) { return 1; }", []);
        var path = Compile($"lib{needy}.so", "int ghost(void); int needy(void) { return ghost(); }", ["-L" + Dir, "-l" + ghost]);
        File.Delete(Path.Combine(Dir, $"lib{ghost}.so"));
        return path;
    }

    private string Compile(string name, string source, string[] link)
    {
        var c = Path.Combine(Dir, name + ".c");
        File.WriteAllText(c, source);
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true };
        foreach (var a in new[] { "-shared", "-fPIC", "-o", Path.Combine(Dir, name), c }.Concat(link)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, err);
        return Path.Combine(Dir, name);
    }

    [Fact]
    public void A_missing_libtorch_names_the_debian_package_and_the_command()
    {
        var needy = LibraryMissing("needy", "torch_cpu_gone");
        var e = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load(needy));
        SystemLibraries.Advice(new TypeInitializationException("RepLab.Torch.Native", e)).Should()
            .Be("the system library libtorch_cpu_gone.so is missing: install it with `sudo apt-get install libtorch1.13` (and libopenblas0-pthread, libtorch's fast BLAS)");
    }

    [Fact]
    public void An_unknown_missing_library_is_named_with_how_to_find_its_package()
    {
        var needy = LibraryMissing("needy", "mystery");
        var e = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load(needy));
        SystemLibraries.Advice(e).Should().Be("the system library libmystery.so is missing: install the package that provides it (apt-file search libmystery.so)");
        SystemLibraries.Advice(new InvalidOperationException("x")).Should().BeNull();
    }

    [Fact]
    public void The_cli_exits_2_with_the_advice_when_the_engine_cannot_load_its_libraries()
    {
        var needy = LibraryMissing("replab_needy", "openblas_gone");
        using var child = StartCli(new Dictionary<string, string> { ["REPLAB_NATIVE"] = needy, ["MLFLOW_TRACKING_URI"] = Path.Combine(Dir, "mlruns") },
            "run", Path.Combine(Repo.Root, "experiments", "fashion-mnist", "quickstart.yaml"), "--runs-dir", Path.Combine(Dir, "runs"), "+trainer.max-steps=1");
        var stderr = child.StandardError.ReadToEndAsync();
        child.StandardOutput.ReadToEnd();
        ExitsWithin(child, 120_000).Should().BeTrue();
        child.ExitCode.Should().Be(2, stderr.Result);
        stderr.Result.Should().Contain("the system library libopenblas_gone.so is missing: install it with `sudo apt-get install libopenblas0-pthread`")
            .And.NotContain("internal error");
    }
}
