namespace RepLab.Host.Tests.Plugins.Datasets;

/// <summary>A temporary folder, deleted after each test, that a dataset test writes its files into.</summary>
public abstract class DatasetFiles(string prefix) : IDisposable
{
    protected readonly string dir = Directory.CreateTempSubdirectory(prefix).FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    protected string Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
