using System.Text;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Export;

/// <summary>
/// Writes a trained representation so that code outside RepLab can compute its features: as an ONNX model
/// (ONNX Runtime, ML.NET) or as safetensors with PyTorch state-dict keys plus a torch-only module
/// definition. Both come from one walk of the module's eval-mode forward (<see cref="IExportGraph"/>).
/// </summary>
public static class EncoderExport
{
    /// <summary>The ONNX model's file name.</summary>
    public const string OnnxFile = "encoder.onnx";

    /// <summary>The weights' file name (PyTorch format).</summary>
    public const string SafetensorsFile = "encoder.safetensors";

    /// <summary>The PyTorch module definition's file name.</summary>
    public const string PythonFile = "encoder.py";

    /// <summary>
    /// Writes <paramref name="representation"/> (in eval mode, on the CPU, holding its trained weights) for images
    /// shaped <paramref name="input"/> ([N, C, H, W] in [0, 1], N free) into <paramref name="folder"/> (created):
    /// <see cref="ExportFormat.Onnx"/> writes <c>encoder.onnx</c> (input <c>images</c>, output <c>features</c>
    /// [batch, Features]); <see cref="ExportFormat.Pytorch"/> writes <c>encoder.safetensors</c> (the state dict, keys
    /// as in PyTorch) and <c>encoder.py</c> (a module with <c>build()</c> that loads it strictly).
    /// <paramref name="metadata"/> goes into the ONNX model's <c>metadata_props</c> or the safetensors header's
    /// <c>__metadata__</c>. Files are written under temporary names and renamed at the end, so a failure leaves
    /// nothing partial. Returns the paths written.
    /// </summary>
    /// <exception cref="ExportNotSupportedException">A layer the exporter cannot write (nothing is written).</exception>
    public static IReadOnlyList<string> Write(EncoderModule representation, ImageShape input, ExportFormat format,
                                              string folder, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(representation);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        using var trace = ModuleWalker.Walk(representation, input);
        // Everything is rendered in memory first: a refusal or a bug leaves no file behind.
        IReadOnlyList<(string Name, Action<string> Write)> files = format switch
        {
            ExportFormat.Onnx => [(OnnxFile, OnnxBytes(trace, metadata))],
            ExportFormat.Pytorch =>
            [
                (SafetensorsFile, path => Safetensors.Save(path, trace.State, SafetensorsMetadata(metadata))),
                (PythonFile, Text(PytorchModule.Source(trace, Description(representation)))),
            ],
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an export format"),
        };
        return Commit(folder, files);
    }

    private static Action<string> OnnxBytes(ExportTrace trace, IReadOnlyDictionary<string, string> metadata)
    {
        var graph = OnnxGraphBuilder.Build(trace, trace.Root.GetType().Name);
        var version = typeof(EncoderExport).Assembly.GetName().Version?.ToString(3) ?? "";
        using var buffer = new MemoryStream();
        OnnxModel.Write(buffer, graph, metadata, version);
        var bytes = buffer.ToArray();
        return path => File.WriteAllBytes(path, bytes);
    }

    private static Action<string> Text(string text) => path => File.WriteAllText(path, text, new UTF8Encoding(false));

    /// <summary>The caller's metadata, with safetensors' usual <c>format: pt</c> unless given.</summary>
    private static Dictionary<string, string> SafetensorsMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var all = metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        all.TryAdd("format", "pt");
        return all;
    }

    /// <summary>The module tree's types, outermost first (e.g. PooledFeatureMaps over NormalizedEncoder over DcganDiscriminatorNetwork).</summary>
    private static string Description(EncoderModule representation)
    {
        var chain = new List<string>();
        for (Module? m = representation; m is not null; m = m.named_children().FirstOrDefault(c => c.name == "encoder").module)
            chain.Add(m.GetType().Name);
        return $"RepLab encoder: {string.Join(" over ", chain)}, {representation.Features} features.";
    }

    /// <summary>Writes each file under a temporary name in <paramref name="folder"/>, then renames them all; on failure removes what it wrote.</summary>
    private static IReadOnlyList<string> Commit(string folder, IReadOnlyList<(string Name, Action<string> Write)> files)
    {
        var created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        var tag = $"{Environment.ProcessId}.{Guid.NewGuid():N}";
        var pending = files.Select(f => (Final: Path.Combine(folder, f.Name), Temp: Path.Combine(folder, $".{f.Name}.{tag}.tmp"), f.Write)).ToList();
        try
        {
            foreach (var f in pending) f.Write(f.Temp);
            foreach (var f in pending) File.Move(f.Temp, f.Final, overwrite: true);
            return pending.Select(f => Path.GetFullPath(f.Final)).ToList();
        }
        catch
        {
            foreach (var f in pending) File.Delete(f.Temp);
            if (created && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            throw;
        }
    }
}
