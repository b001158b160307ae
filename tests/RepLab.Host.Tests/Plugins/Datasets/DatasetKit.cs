using RepLab.Abstractions;

namespace RepLab.Host.Tests.Plugins.Datasets;

/// <summary>What the dataset tests share: built-ins with options, and reference pixels placed or resized independently of the readers.</summary>
internal static class DatasetKit
{
    public static IDataset Create(string name, params (string key, object value)[] settings) => BuiltIn.Create<IDataset>(name, settings);

    public static byte Pixel(byte[] chw, int side, int c, int y, int x) => chw[c * side * side + y * side + x];

    /// <summary>
    /// Weights [n, m] of an antialiased bilinear resize of one axis from m to n pixels, as PIL and
    /// PyTorch's <c>antialias=True</c> define it: output i centred at s (i + 0.5), s = m / n, takes the
    /// triangle filter widened to a support of s, over the pixels within reach, normalised to sum 1.
    /// Halving gives the weights 1, 3, 3, 1 over 8, where plain bilinear would take a 2x2 mean.
    /// </summary>
    public static double[,] AntialiasedWeights(int m, int n)
    {
        var scale = (double)m / n;
        var support = Math.Max(scale, 1.0);
        var w = new double[n, m];
        for (var i = 0; i < n; i++)
        {
            var center = scale * (i + 0.5);
            var (lo, hi) = (Math.Max((int)(center - support + 0.5), 0), Math.Min((int)(center + support + 0.5), m));
            var total = 0.0;
            for (var j = lo; j < hi; j++) total += w[i, j] = Math.Max(0, 1 - Math.Abs((j - center + 0.5) / support));
            for (var j = lo; j < hi; j++) w[i, j] /= total;
        }
        return w;
    }

    /// <summary>An antialiased bilinear resize of one plane [h, w] (at offset) to [n, n], by the separable weights above.</summary>
    public static double[] AntialiasedPlane(Func<int, int, double> at, int h, int w, int n)
    {
        var (wy, wx) = (AntialiasedWeights(h, n), AntialiasedWeights(w, n));
        var result = new double[n * n];
        for (var y = 0; y < n; y++)
            for (var x = 0; x < n; x++)
                for (var a = 0; a < h; a++)
                    for (var b = 0; b < w; b++)
                        result[y * n + x] += wy[y, a] * wx[x, b] * at(a, b);
        return result;
    }
}
