using System.Globalization;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Export;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Templates;

/// <summary>
/// The README's C# snippet that runs an exported encoder with ONNX Runtime, compiled as written into a console
/// program of its own outside the repository (<see cref="OutsideTheRepository"/>: only packages this machine restored)
/// and run on a conv-small export: it prints the features our encoder computes for the same image.
/// </summary>
[Trait("Category", "Templates")]
public sealed class ReadmeOnnxSnippetTests : IDisposable
{
    private readonly OutsideTheRepository outside = new();

    public void Dispose() => outside.Dispose();

    /// <summary>The first csharp block after the export section's heading.</summary>
    internal static string Snippet()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var section = readme[readme.IndexOf("## Using an encoder outside RepLab", StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void The_readme_snippet_prints_the_features_of_an_exported_encoder()
    {
        var project = Path.Combine(outside.Work, "Features");
        Directory.CreateDirectory(project);
        var version = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version!;
        File.WriteAllText(Path.Combine(project, "Features.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup><PackageReference Include="Microsoft.ML.OnnxRuntime" Version="{version.Major}.{version.Minor}.{version.Build}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), Snippet());

        torch.manual_seed(5);
        using var encoder = BuiltIn.Create<IEncoder>("conv-small", ("Features", 16)).Build(new ImageShape(1, 28, 28));
        encoder.eval();
        var model = EncoderExport.Write(encoder, new ImageShape(1, 28, 28), ExportFormat.Onnx, Path.Combine(outside.Work, "export"), new Dictionary<string, string>()).Single();
        float[] expected;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
            expected = encoder.forward(torch.full([1, 1, 28, 28], 0.5)).data<float>().ToArray();

        var output = outside.Run(project, "dotnet", "run", "--", model);

        var line = output.Split('\n').Single(l => l.Contains(" features: ", StringComparison.Ordinal));
        line.Should().StartWith("16 features: ");
        var shown = line["16 features: ".Length..].Replace(" ...", "").Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
        shown.Should().HaveCount(4);
        for (var i = 0; i < 4; i++) shown[i].Should().BeApproximately(expected[i], 1e-4, $"feature {i} as the snippet prints it (4 decimals)");
    }
}
