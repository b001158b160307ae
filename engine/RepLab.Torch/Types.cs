namespace RepLab.Torch;

/// <summary>Element types; the values are libtorch's c10::ScalarType codes.</summary>
public enum ScalarType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>Where a tensor lives: <c>cpu</c> or <c>cuda:N</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    public static readonly Device CPU = new(DeviceType.CPU);

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

    public override string ToString() => Type == DeviceType.CPU ? "cpu" : $"cuda:{Index}";
}

public static class ScalarTypeExtensions
{
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.UInt8 or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

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
public enum Reduction { None = 0, Mean = 1, Sum = 2 }

/// <summary>What kind of activation a batch norm computes after normalising (<see cref="NormActivation"/>).</summary>
public enum NormActivationKind { None = 0, ReLU = 1, LeakyReLU = 2 }

/// <summary>
/// The activation fused into <see cref="F.batch_norm(Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, double, double, NormActivation)"/>:
/// none, ReLU, or LeakyReLU with its negative slope.
/// </summary>
public readonly record struct NormActivation(NormActivationKind Kind, double NegativeSlope = 0)
{
    public static NormActivation None => default;
    public static NormActivation ReLU => new(NormActivationKind.ReLU);
    public static NormActivation LeakyReLU(double negative_slope = 0.01) => new(NormActivationKind.LeakyReLU, negative_slope);
}
