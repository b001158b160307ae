using System.Globalization;
using Xunit.Sdk;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// One golden safetensors file made by goldens/make_goldens.py and copied beside the test
/// assembly (the csproj's goldens/*.safetensors item). Open it inside a dispose scope: the
/// scope frees its tensors.
/// </summary>
internal sealed class Golden
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "goldens");

    public static string PathOf(string file)
    {
        var path = Path.Combine(Dir, file);
        if (!File.Exists(path))
            throw new XunitException($"golden {path} is missing: is goldens/{file} committed and copied by the csproj?");
        return path;
    }

    public Dictionary<string, Tensor> Tensors { get; }
    public Dictionary<string, string> Meta { get; }

    public Golden(string file) => (Tensors, Meta) = Safetensors.Load(PathOf(file));

    public Tensor this[string key] =>
        Tensors.TryGetValue(key, out var t) ? t : throw new XunitException($"golden has no tensor '{key}'");

    public bool Has(string key) => Tensors.ContainsKey(key);

    /// <summary>Names before the first '/' of every tensor key: the cases of the file.</summary>
    public SortedSet<string> Cases() => new(Tensors.Keys.Where(k => k.Contains('/')).Select(k => k[..k.IndexOf('/')]), StringComparer.Ordinal);

    /// <summary>Keys "case/prefix…" with the "case/prefix" part removed.</summary>
    public IEnumerable<(string name, Tensor tensor)> Under(string prefix) =>
        Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key[prefix.Length..], kv.Value));
}

internal static class Check
{
    private static double[] AsDoubles(Tensor t)
    {
        using var d = t.detach();
        using var f = d.to(ScalarType.Float64);
        using var c = f.contiguous();
        return c.data<double>();
    }

    /// <summary>
    /// Elementwise |actual - expected| &lt;= atol + rtol * |expected| (numpy's allclose), same shape and
    /// dtype; NaN only matches NaN. The failure names the worst element.
    /// </summary>
    public static void Close(Tensor? actual, Tensor expected, double rtol, double atol, string what)
    {
        if (actual is null) throw new XunitException($"{what}: no tensor (expected shape [{string.Join(", ", expected.shape)}])");
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new XunitException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        if (actual.dtype != expected.dtype) throw new XunitException($"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        var a = AsDoubles(actual);
        var e = AsDoubles(expected);
        int bad = 0, worst = -1;
        double worstExcess = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) && double.IsNaN(e[i])) continue;
            var diff = Math.Abs(a[i] - e[i]);
            var allowed = atol + rtol * Math.Abs(e[i]);
            if (diff <= allowed) continue;
            bad++;
            var excess = double.IsNaN(diff) ? double.PositiveInfinity : diff / allowed;
            if (worst < 0 || excess > worstExcess) (worst, worstExcess) = (i, excess);
        }
        if (bad > 0)
            throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {bad} of {a.Length} elements differ beyond rtol={rtol}, atol={atol}; worst at flat index {worst}: " +
                $"{a[worst]:R} vs expected {e[worst]:R} (|diff| {Math.Abs(a[worst] - e[worst]):E3})"));
    }

    /// <summary>Same dtype, shape and bytes.</summary>
    public static void Bitwise(Tensor? actual, Tensor expected, string what)
    {
        if (actual is null) throw new XunitException($"{what}: no tensor");
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new XunitException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        if (actual.dtype != expected.dtype) throw new XunitException($"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        using var c = actual.contiguous();
        var a = c.bytes();
        var e = expected.bytes();
        var size = actual.dtype.ElementSize();
        for (var i = 0; i < a.Length; i++)
            if (a[i] != e[i])
                throw new XunitException($"{what}: not bitwise equal, first difference in element {i / size} of {a.Length / size}");
    }

    /// <summary>The same set of names, reported by what is missing and what is extra.</summary>
    public static void SameNames(IEnumerable<string> actual, IEnumerable<string> expected, string what)
    {
        var a = actual.ToHashSet();
        var e = expected.ToHashSet();
        var missing = e.Except(a).Order(StringComparer.Ordinal).ToList();
        var extra = a.Except(e).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + extra.Count > 0)
            throw new XunitException($"{what}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
    }
}
