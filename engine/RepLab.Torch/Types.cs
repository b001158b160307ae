namespace RepLab.Torch;

/// <summary>Element types; the values are libtorch's c10::ScalarType codes.</summary>
public enum ScalarType
{
    /// <summary>Unsigned 8-bit integer (<c>torch.uint8</c>); images are read as this.</summary>
    UInt8 = 0,
    /// <summary>Signed 8-bit integer (<c>torch.int8</c>).</summary>
    Int8 = 1,
    /// <summary>Signed 16-bit integer (<c>torch.int16</c>).</summary>
    Int16 = 2,
    /// <summary>Signed 32-bit integer (<c>torch.int32</c>).</summary>
    Int32 = 3,
    /// <summary>Signed 64-bit integer (<c>torch.int64</c>, <c>torch.long</c>): the dtype of indices and class labels.</summary>
    Int64 = 4,
    /// <summary>IEEE half precision (<c>torch.float16</c>, <c>torch.half</c>).</summary>
    Float16 = 5,
    /// <summary>Single precision (<c>torch.float32</c>, <c>torch.float</c>): the default dtype of floating-point factories.</summary>
    Float32 = 6,
    /// <summary>Double precision (<c>torch.float64</c>, <c>torch.double</c>).</summary>
    Float64 = 7,
    /// <summary>Boolean (<c>torch.bool</c>): results of comparisons and masks.</summary>
    Bool = 11,
    /// <summary>Brain floating point (<c>torch.bfloat16</c>).</summary>
    BFloat16 = 15,
}

/// <summary>The kind of device a tensor lives on (<c>torch.device.type</c>).</summary>
public enum DeviceType
{
    /// <summary>The host CPU.</summary>
    CPU = 0,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    CUDA = 1,
}

/// <summary>Where a tensor lives: <c>cpu</c> or <c>cuda:N</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU (<c>torch.device("cpu")</c>).</summary>
    public static readonly Device CPU = new(DeviceType.CPU);

    /// <summary>CUDA device <paramref name="index"/> (<c>torch.device("cuda:N")</c>).</summary>
    public static Device CUDA(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return CUDA();
        if (s.StartsWith("cuda:") && int.TryParse(s[5..], out var i) && i >= 0) return CUDA(i);
        throw new ArgumentException($"unknown device '{text}': expected cpu, cuda or cuda:N");
    }

    /// <summary><c>cpu</c> or <c>cuda:N</c>, the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => Type == DeviceType.CPU ? "cpu" : $"cuda:{Index}";
}

/// <summary>Facts about <see cref="ScalarType"/> values.</summary>
public static class ScalarTypeExtensions
{
    /// <summary>Bytes per element (PyTorch's <c>Tensor.element_size()</c>).</summary>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.UInt8 or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>Whether the dtype is a floating-point type (PyTorch's <c>dtype.is_floating_point</c>).</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;

    internal static ScalarType Of<T>() where T : unmanaged => default(T) switch
    {
        float => ScalarType.Float32,
        double => ScalarType.Float64,
        long => ScalarType.Int64,
        int => ScalarType.Int32,
        short => ScalarType.Int16,
        byte => ScalarType.UInt8,
        sbyte => ScalarType.Int8,
        bool => ScalarType.Bool,
        Half => ScalarType.Float16,
        _ => throw new NotSupportedException($"no tensor dtype for {typeof(T).Name}"),
    };
}

/// <summary>How a loss reduces over elements.</summary>
public enum Reduction
{
    /// <summary>No reduction: the loss of each element (PyTorch's <c>reduction="none"</c>).</summary>
    None = 0,
    /// <summary>The mean over elements (<c>reduction="mean"</c>, the default).</summary>
    Mean = 1,
    /// <summary>The sum over elements (<c>reduction="sum"</c>).</summary>
    Sum = 2,
}

/// <summary>What kind of activation a batch norm computes after normalising (<see cref="NormActivation"/>).</summary>
public enum NormActivationKind
{
    /// <summary>No activation.</summary>
    None = 0,
    /// <summary>ReLU.</summary>
    ReLU = 1,
    /// <summary>LeakyReLU with <see cref="NormActivation.NegativeSlope"/>.</summary>
    LeakyReLU = 2,
}

/// <summary>
/// The activation fused into <see cref="F.batch_norm(Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, double, double, NormActivation)"/>:
/// none, ReLU, or LeakyReLU with its negative slope.
/// </summary>
public readonly record struct NormActivation(NormActivationKind Kind, double NegativeSlope = 0)
{
    /// <summary>No activation.</summary>
    public static NormActivation None => default;
    /// <summary>ReLU after the normalisation.</summary>
    public static NormActivation ReLU => new(NormActivationKind.ReLU);
    /// <summary>LeakyReLU with <paramref name="negative_slope"/> after the normalisation.</summary>
    public static NormActivation LeakyReLU(double negative_slope = 0.01) => new(NormActivationKind.LeakyReLU, negative_slope);
}
