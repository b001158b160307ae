namespace RepLab.Plugins.Evaluators.Kmeans;

/// <summary>
/// Agreement between a clustering and the true classes, from their contingency table: normalised
/// mutual information (arithmetic-mean normalisation, scikit-learn's default), the adjusted Rand
/// index (Hubert &amp; Arabie, 1985) and cluster accuracy under the best one-to-one matching of
/// clusters to classes (the Hungarian method).
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>Counts n[c, k] of images of class c put in cluster k.</summary>
    public static long[,] Contingency(IReadOnlyList<long> classes, IReadOnlyList<long> clusters)
    {
        if (classes.Count != clusters.Count) throw new ArgumentException($"{classes.Count} labels for {clusters.Count} cluster assignments");
        if (classes.Count == 0) throw new ArgumentException("no samples to score");
        var rows = (int)classes.Max() + 1;
        var cols = (int)clusters.Max() + 1;
        if (classes.Min() < 0 || clusters.Min() < 0) throw new ArgumentException("labels and clusters must be non-negative");
        var table = new long[rows, cols];
        for (var i = 0; i < classes.Count; i++) table[classes[i], clusters[i]]++;
        return table;
    }

    /// <summary>NMI = I(C; K) / ((H(C) + H(K)) / 2); 1 when both partitions are trivial and equal.</summary>
    public static double Nmi(long[,] table)
    {
        var (rows, cols, n, a, b) = Margins(table);
        double mi = 0;
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                if (table[i, j] > 0) mi += table[i, j] / n * Math.Log(table[i, j] * n / ((double)a[i] * b[j]));
        var h = (Entropy(a, n) + Entropy(b, n)) / 2;
        return h <= 0 ? 1 : Math.Clamp(mi / h, 0, 1);
    }

    /// <summary>ARI = (index - expected) / (max - expected) over pairs; 1 for identical partitions, about 0 for independent ones.</summary>
    public static double Ari(long[,] table)
    {
        var (rows, cols, n, a, b) = Margins(table);
        static double Pairs(double x) => x * (x - 1) / 2;
        double index = 0, sumA = a.Sum(x => Pairs(x)), sumB = b.Sum(x => Pairs(x));
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) index += Pairs(table[i, j]);
        var expected = sumA * sumB / Pairs(n);
        var max = (sumA + sumB) / 2;
        return max == expected ? 1 : (index - expected) / (max - expected);
    }

    /// <summary>The fraction of samples whose cluster is matched to their class, under the matching that maximises it.</summary>
    public static double Accuracy(long[,] table)
    {
        var (rows, cols, n, _, _) = Margins(table);
        var size = Math.Max(rows, cols);
        var cost = new double[size, size];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) cost[i, j] = -table[i, j];
        var match = Hungarian(cost);
        long hits = 0;
        for (var i = 0; i < rows; i++)
            if (match[i] < cols) hits += table[i, match[i]];
        return hits / n;
    }

    /// <summary>
    /// The assignment of rows to columns of a square <paramref name="cost"/> matrix with the least total
    /// cost (Kuhn-Munkres with potentials, O(n^3)); result[row] is its column.
    /// </summary>
    public static int[] Hungarian(double[,] cost)
    {
        var n = cost.GetLength(0);
        if (cost.GetLength(1) != n) throw new ArgumentException("the Hungarian method here takes a square matrix");
        // 1-based arrays: p[j] is the row matched to column j, u and v the potentials.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var p = new int[n + 1];
        var way = new int[n + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            var minv = Enumerable.Repeat(double.PositiveInfinity, n + 1).ToArray();
            var used = new bool[n + 1];
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                var delta = double.PositiveInfinity;
                for (var j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    var cur = cost[i0 - 1, j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (var j = 0; j <= n; j++)
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                j0 = j1;
            } while (p[j0] != 0);
            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var result = new int[n];
        for (var j = 1; j <= n; j++) result[p[j] - 1] = j - 1;
        return result;
    }

    private static double Entropy(long[] counts, double n) =>
        -counts.Where(c => c > 0).Sum(c => c / n * Math.Log(c / n));

    private static (int Rows, int Cols, double N, long[] A, long[] B) Margins(long[,] table)
    {
        int rows = table.GetLength(0), cols = table.GetLength(1);
        var a = new long[rows];
        var b = new long[cols];
        long n = 0;
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
            {
                a[i] += table[i, j];
                b[j] += table[i, j];
                n += table[i, j];
            }
        return (rows, cols, n, a, b);
    }
}
