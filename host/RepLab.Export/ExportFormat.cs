namespace RepLab.Export;

/// <summary>What <see cref="EncoderExport.Write"/> writes.</summary>
public enum ExportFormat
{
    /// <summary><c>encoder.onnx</c>: an ONNX model (IR version 8, opset 17) with input <c>images</c> and output <c>features</c>.</summary>
    Onnx,

    /// <summary><c>encoder.safetensors</c> with PyTorch state-dict keys, and <c>encoder.py</c>, a torch-only module definition to load it into.</summary>
    Pytorch,
}
