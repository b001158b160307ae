using RepLab.Abstractions;

namespace RepLab.Plugins.Datasets.Common;

/// <summary>The class names some datasets ship beside their records (CIFAR's <c>batches.meta.txt</c>, STL-10's <c>class_names.txt</c>): one name a line.</summary>
internal static class ClassNameFile
{
    /// <summary>
    /// The names in <paramref name="path"/> (blank lines skipped), or null when it is missing, unreadable
    /// or does not name exactly <paramref name="classes"/> classes: the names only describe the set, its
    /// labels do not depend on them, so their absence is no error.
    /// </summary>
    public static IReadOnlyList<string>? Read(string path, int classes)
    {
        try
        {
            if (DataFile.KindOf(path) != DataFile.Kind.Regular) return null;
            var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            return names.Length == classes ? names : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
