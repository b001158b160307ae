using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary><c>replab plugins</c> as a user reads it: piped to a file or a pager.</summary>
public sealed class PluginsCommandTests
{
    [Fact]
    public void The_listing_piped_to_a_file_fits_100_columns_with_no_trailing_spaces()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repo.BuiltCli);
        start.ArgumentList.Add("plugins");
        start.Environment.Remove("REPLAB_PLUGIN_PATH");
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();

        p.ExitCode.Should().Be(0, stderr.Result);
        var lines = stdout.Split('\n');
        lines.Should().Contain(l => l.Contains("hidden-dim", StringComparison.Ordinal), "the listing holds the options tables");
        lines.Should().Contain(l => l.Length > 80, "long docs use the width they have");
        lines.Where(l => l.Length > 100).Should().BeEmpty("a redirected listing is 100 columns wide");
        lines.Where(l => l.TrimEnd() != l).Should().BeEmpty("no line ends in spaces");
        stdout.Should().NotContain("\u001b[", "no colour codes in a file");
    }
}
