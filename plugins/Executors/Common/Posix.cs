using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RepLab.Plugins.Executors;

/// <summary>What the executors need of POSIX: a polite stop (SIGTERM: the trial checkpoints and exits 130) and running a tool.</summary>
internal static class Posix
{
    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Asks process <paramref name="pid"/> to stop (SIGTERM).</summary>
    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    /// <summary>Runs <paramref name="program"/> to its end; its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Output, string Error) Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        Process p;
        try
        {
            p = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FileNotFoundException($"{program} could not be started ({e.Message}): is this a machine with its tools on PATH (a Slurm login node for the slurm executor)?", program);
        }
        using var _ = p;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill();
            throw new TimeoutException($"{program} {string.Join(" ", arguments)} did not answer within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:F0} s");
        }
        return (p.ExitCode, output.Result, error.Result);
    }

    /// <summary>A single-quoted shell word.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
