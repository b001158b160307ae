namespace RepLab.Host.Tests;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Framework.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Framework.sln) not found above " + AppContext.BaseDirectory);
    }

    public static string Fixture(string name) => Path.Combine(Root, "tests", "fixtures", "out", name);
}
