namespace RepLab.Sweeps;

/// <summary>How to start the RepLab CLI as another process: a sweep's trials, a run's local ranks.</summary>
public static class CliProgram
{
    /// <summary>REPLAB_CLI (an assembly or a program) or this process's own assembly, never through a build: the program and its first arguments.</summary>
    public static (string Program, IReadOnlyList<string> Arguments) Command()
    {
        var cli = Environment.GetEnvironmentVariable("REPLAB_CLI") is { Length: > 0 } configured ? configured : Path.Combine(AppContext.BaseDirectory, "replab.dll");
        return cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [Path.GetFullPath(cli)]) : (cli, []);
    }
}
