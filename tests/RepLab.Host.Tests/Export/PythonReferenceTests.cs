using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using RepLab.Export;
using RepLab.Torch;
using Xunit;
using Xunit.Abstractions;

namespace RepLab.Host.Tests.Export;

/// <summary>
/// The reference tools accept every export case: Debian's onnx 1.12 checker (full check, with shape
/// inference) passes each model, and Debian's PyTorch 1.13 builds each encoder.py, loads its
/// encoder.safetensors strictly and computes our features to 1e-5 (pytorch_check.py).
/// </summary>
public class PythonReferenceTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void Onnx_checker_passes_every_model_and_pytorch_computes_our_features_from_every_module_and_weights()
    {
        var root = Directory.CreateTempSubdirectory("replab-export-py-").FullName;
        try
        {
            var names = ExportCases.CaseNames;
            foreach (var name in names) Write(name, Path.Combine(root, name));
            var script = Path.Combine(Repo.Root, "tests", "RepLab.Host.Tests", "Export", "pytorch_check.py");
            var lines = RunPython(script, root, JsonSerializer.Serialize(OnnxRuntimeParityTests.Metadata));
            var results = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("case").GetString()!);
            results.Keys.Should().BeEquivalentTo(names);
            foreach (var name in names)
            {
                var result = results[name];
                result.TryGetProperty("error", out var error).Should().BeFalse($"{name}: {(error.ValueKind == JsonValueKind.String ? error.GetString() : "")}");
                var difference = result.GetProperty("max_difference").GetDouble();
                output.WriteLine($"{name}: onnx.checker (full) passed; max |PyTorch 1.13 - ours| = {difference:E2}");
                difference.Should().BeLessThanOrEqualTo(1e-5, name);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Case <paramref name="name"/> in both formats, with the images and our features beside them.</summary>
    private static void Write(string name, string folder)
    {
        using var scope = torch.NewDisposeScope();
        var (encoder, shape, images, features) = ExportCases.Make(name);
        using (encoder)
        {
            EncoderExport.Write(encoder, shape, ExportFormat.Onnx, folder, OnnxRuntimeParityTests.Metadata);
            EncoderExport.Write(encoder, shape, ExportFormat.Pytorch, folder, OnnxRuntimeParityTests.Metadata)
                .Select(Path.GetFileName).Should().Equal("encoder.safetensors", "encoder.py");
        }
        Safetensors.Save(Path.Combine(folder, "expected.safetensors"), new Dictionary<string, Tensor> { ["images"] = images, ["features"] = features });
    }

    private static List<string> RunPython(string script, params string[] args)
    {
        File.Exists(Python).Should().BeTrue("the launcher installs Debian's python3 with python3-onnx and python3-torch for the tests");
        var psi = new ProcessStartInfo(Python, [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000)) p.Kill(entireProcessTree: true);
        p.ExitCode.Should().Be(0, stderr.Result);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
