using System.Diagnostics;

namespace RepLab.Host.Tests.Plugins.Executors.Slurm;

/// <summary>
/// A real single-node Slurm on localhost (Debian's slurmctld, slurmd and munge as root), started
/// once per test process by tests/slurm/start-slurm.sh, which is idempotent and leaves a running
/// cluster alone. Its job-completion log is the one the executor reads through scontrol.
/// </summary>
public static class SlurmCluster
{
    private static readonly Lazy<string> up = new(Start);

    /// <summary>Starts the cluster if it is not up; throws with the script's output when it cannot.</summary>
    public static void EnsureUp() => _ = up.Value;

    private static string Start()
    {
        var script = Path.Combine(Repo.Root, "tests", "slurm", "start-slurm.sh");
        var start = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit(TimeSpan.FromSeconds(90));
        if (p.ExitCode != 0 || !output.Result.Contains("slurm up"))
            throw new InvalidOperationException($"a single-node Slurm could not be started by {script} (needs root and Debian's slurmctld, slurmd, slurm-client and munge, which ./replab test installs): exit {p.ExitCode}\n{output.Result}\n{error.Result}");
        return output.Result;
    }

    /// <summary>Runs a Slurm client command; its stdout.</summary>
    public static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
