namespace RepLab.Plugins.Datasets.Common;

/// <summary>
/// Reads fixed-size binary records (CIFAR, STL-10), checking that the file exists and holds a whole
/// number of records, so a missing, truncated or foreign file is an error that names it and its format.
/// </summary>
internal static class RecordFile
{
    /// <summary>
    /// Number of <paramref name="recordBytes"/>-byte records in <paramref name="path"/>; throws
    /// when it is missing, empty or not a whole number of records.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="recordBytes">Bytes per record.</param>
    /// <param name="plugin">The dataset plugin's name, which starts every error.</param>
    /// <param name="format">What the file should be, for the error, e.g. "CIFAR-10 binary version: 10,000 records of ...".</param>
    /// <param name="hint">Where to get it, appended to the missing-file error.</param>
    public static long Count(string path, int recordBytes, string plugin, string format, string hint)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{plugin}: expected {path} ({format}); {hint}", path);
        var length = new FileInfo(path).Length;
        if (length == 0 || length % recordBytes != 0)
            throw new InvalidDataException(
                $"{plugin}: {path} is truncated or not in the expected format: {length:N0} bytes is not a whole number of " +
                $"{recordBytes:N0}-byte records ({format})");
        return length / recordBytes;
    }

    /// <summary>Fills <paramref name="destination"/> from the start of <paramref name="path"/>.</summary>
    public static void Read(string path, Span<byte> destination)
    {
        using var f = RepLab.Abstractions.DataFile.OpenRead(path, "dataset", 1 << 20);
        f.ReadExactly(destination);
    }
}
