namespace RepLab.Export;

/// <summary>
/// The encoder holds a layer the exporter cannot write. Thrown by <see cref="EncoderExport.Write"/> before
/// anything is written; the message names the layer's state path (e.g. <c>encoder.body.3</c>) and type,
/// the supported layers, and the way out (<c>RepLab.Abstractions.IExportable</c>).
/// </summary>
public sealed class ExportNotSupportedException : Exception
{
    /// <summary>A refusal of the module at <paramref name="modulePath"/> (its state path, or a description where it has none) of type <paramref name="moduleType"/>.</summary>
    public ExportNotSupportedException(string modulePath, string moduleType, string message) : base(message) =>
        (ModulePath, ModuleType) = (modulePath, moduleType);

    /// <summary>The refused module's state path in the exported encoder (its place, where it has no path of its own).</summary>
    public string ModulePath { get; }

    /// <summary>The refused module's full type name.</summary>
    public string ModuleType { get; }
}
