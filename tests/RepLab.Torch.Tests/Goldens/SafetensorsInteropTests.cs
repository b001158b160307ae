using Xunit;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// Safetensors both ways: a file written by make_goldens.py (its own writer, the format by hand)
/// read here value by value, and a file written here that the script's reader verifies
/// (make_goldens.py --check reads the committed copy, written_by_replab.safetensors).
/// </summary>
public class SafetensorsInteropTests
{
    private static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
    private static long[] Bits(double[] v) => v.Select(BitConverter.DoubleToInt64Bits).ToArray();

    [Fact]
    public void File_written_by_python_reads_back_value_by_value()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden("interop.safetensors");
        Assert.Equal(new Dictionary<string, string>
        {
            ["format"] = "pt", ["source"] = "make_goldens.py", ["unicode"] = "naïve café ✓", ["empty"] = "",
        }, g.Meta);
        Check.SameNames(g.Tensors.Keys, ["f32", "f64", "i64", "u8", "bf16", "f16", "bool", "i32", "scalar_f32"], "tensors");

        var f32 = g["f32"];
        Assert.Equal([2L, 3], f32.shape);
        Assert.Equal(Bits([0f, -1.5f, 3.25f, 1e-8f, -0.0f, 123456.789f]), Bits(f32.data<float>()));

        var f64 = g["f64"];
        Assert.Equal([5L], f64.shape);
        Assert.Equal(Bits([1.0 / 3.0, Math.PI, -2.5e-300, 1e300, -0.0]), Bits(f64.data<double>()));

        var i64 = g["i64"];
        Assert.Equal([3L, 2], i64.shape);
        Assert.Equal([0L, -1, (1L << 53) + 1, -(1L << 62), 9, long.MaxValue], i64.data<long>());

        Assert.Equal([0, 1, 127, 128, 254, 255], g["u8"].data<byte>());
        Assert.Equal([int.MinValue, int.MaxValue, 7], g["i32"].data<int>());
        Assert.Equal([true, false, false, true, true], g["bool"].data<bool>());

        var bf16 = g["bf16"];
        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        float[] bfValues = [1.5f, -2.25f, 3.140625f, 0f, -65536f, 0.0078125f];
        var raw = bf16.bytes();
        var rawBits = Enumerable.Range(0, raw.Length / 2).Select(i => (ushort)(raw[2 * i] | raw[2 * i + 1] << 8)).ToArray();
        Assert.Equal(bfValues.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray(), rawBits);
        using (var asFloat = bf16.to(ScalarType.Float32)) Assert.Equal(bfValues, asFloat.data<float>());

        var f16 = g["f16"];
        Assert.Equal([2L, 3], f16.shape);
        Half[] halfValues = [(Half)0.5f, (Half)65504f, (Half)1.0009765625f, (Half)(-Math.Pow(2, -14)), (Half)Math.Pow(2, -24), (Half)(-0.0f)];
        Assert.Equal(halfValues.Select(BitConverter.HalfToInt16Bits), f16.data<Half>().Select(BitConverter.HalfToInt16Bits));

        var scalar = g["scalar_f32"];
        Assert.Empty(scalar.shape);
        Assert.Equal(2.5, scalar.item());
    }

    /// <summary>The tensors make_goldens.py's replab_expected() describes.</summary>
    private static Dictionary<string, Tensor> Ours() => new()
    {
        ["f32"] = (torch.arange(12, ScalarType.Float32) / 4 - 1).reshape(3, 4),
        ["f64"] = torch.arange(5, ScalarType.Float64) * 0.1,
        ["i64"] = (torch.arange(6) - 3L) * (1L << 40),
        ["i32"] = torch.arange(4, ScalarType.Int32) * -7L,
        ["i16"] = torch.arange(3, ScalarType.Int16) * 1000L,
        ["i8"] = torch.arange(-2, 2, 1, ScalarType.Int8),
        ["u8"] = torch.arange(250, 256).to(ScalarType.UInt8).reshape(2, 3),
        ["bf16"] = (torch.arange(4, ScalarType.Float32) * 0.5 - 1).to(ScalarType.BFloat16),
        ["f16"] = (torch.arange(4, ScalarType.Float32) * 0.25).to(ScalarType.Float16).reshape(2, 2),
        ["bool"] = torch.arange(5).remainder(3.0).eq(0.0),
        ["nested.layer.weight"] = torch.ones(2, 1, 1, 1),
    };

    private static readonly Dictionary<string, string> OurMeta = new() { ["writer"] = "RepLab.Torch", ["note"] = "arange values, see make_goldens.py" };

    /// <summary>
    /// Writes ours.safetensors to the test output directory; it must read back exactly and be byte
    /// for byte the committed written_by_replab.safetensors, which `make_goldens.py --check` verified
    /// with Python (so a change in the writer's output needs a new Python check).
    /// </summary>
    [Fact]
    public void Writer_output_matches_the_committed_file_python_verified()
    {
        using var scope = torch.NewDisposeScope();
        var ours = Ours();
        var path = Path.Combine(AppContext.BaseDirectory, "ours.safetensors");
        Safetensors.Save(path, ours, OurMeta);

        var (back, meta) = Safetensors.Load(path);
        Assert.Equal(OurMeta, meta);
        Check.SameNames(back.Keys, ours.Keys, "tensors read back");
        foreach (var (name, t) in ours) Check.Bitwise(back[name], t, name);

        var committed = File.ReadAllBytes(Golden.PathOf("written_by_replab.safetensors"));
        Assert.True(committed.AsSpan().SequenceEqual(File.ReadAllBytes(path)),
            $"{path} differs from goldens/written_by_replab.safetensors: if the writer changed on purpose, copy it there and run make_goldens.py --check");
    }

    [Fact]
    public void Header_is_padded_to_eight_bytes_and_data_follows_it()
    {
        using var scope = torch.NewDisposeScope();
        var bytes = File.ReadAllBytes(Golden.PathOf("written_by_replab.safetensors"));
        var n = (long)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        var dataBytes = Ours().Values.Sum(t => t.numel() * t.dtype.ElementSize());
        Assert.Equal(8 + n + dataBytes, bytes.Length);
    }
}
