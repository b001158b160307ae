using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Sweeps;
using RepLab.Torch;

namespace RepLab.Host.Run.Distributed;

/// <summary>
/// <c>replab run</c> of an experiment with <c>trainer.distributed.processes: N</c> on this machine: starts N
/// ranks of the same command (the CLI again, each with its rank in the environment and its share of the
/// threads), shows rank 0's output as the run's and the others' errors prefixed with their rank, passes
/// SIGINT and SIGTERM on, and returns one exit code. When a rank ends badly while others still run, it
/// names that rank and gives the others the collective timeout (plus the stop grace) to stop by
/// themselves, then kills them: a run never waits on a rank that cannot finish.
/// </summary>
internal sealed class RankLauncher(ExperimentSpec spec, RunRequest request)
{
    private readonly List<Process> ranks = [];

    public int Run()
    {
        var options = spec.Trainer.Distributed;
        if (request.CommandLine is null) throw new InvalidOperationException("a run of several processes needs the command line that started it");
        // The launcher serves the rendezvous store itself, bound before any rank starts: a port picked free and
        // bound later by rank 0 could be taken in between (Gloo's own connections take ephemeral ports).
        using var store = torch.distributed.Store.Tcp("127.0.0.1", options.Port, options.Processes, isServer: true, TimeSpan.FromSeconds(options.Timeout));
        var port = store.Port;
        var threads = Math.Max(1, Runner.Threads(spec.Trainer) / options.Processes);
        Console.WriteLine($"replab: {spec.Name}: {options.Processes} processes on this machine, {threads} thread{(threads == 1 ? "" : "s")} each, rendezvous at 127.0.0.1:{port}");
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Forward(c, 2));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, 15));
        try
        {
            for (var r = 0; r < options.Processes; r++) ranks.Add(Start(r, options.Processes, port, threads));
            return Wait(TimeSpan.FromSeconds(options.Timeout) + RunSession.Grace);
        }
        finally
        {
            foreach (var p in ranks.Where(p => !p.HasExited)) p.Kill();
            foreach (var p in ranks) p.Dispose();
        }
    }

    private Process Start(int rank, int world, int port, int threads)
    {
        var (program, first) = CliProgram.Command();
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = rank > 0, RedirectStandardError = rank > 0 };
        foreach (var a in first.Concat(request.CommandLine!)) info.ArgumentList.Add(a);
        info.Environment[RankSetup.RankVariable] = rank.ToString(CultureInfo.InvariantCulture);
        info.Environment[RankSetup.WorldVariable] = world.ToString(CultureInfo.InvariantCulture);
        info.Environment[RankSetup.HostVariable] = "127.0.0.1";
        info.Environment[RankSetup.PortVariable] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["REPLAB_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start rank {rank} ({program})");
        Console.WriteLine($"replab: rank {rank}: pid {process.Id}");
        if (rank > 0)
        {
            // Rank 0 speaks for the run; another rank's output is its errors, each line marked with the rank.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"[rank {rank}] {line}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        return process;
    }

    /// <summary>Waits for every rank; the first that ends badly is named, and the rest get <paramref name="stopWithin"/> before they are killed.</summary>
    private int Wait(TimeSpan stopWithin)
    {
        (int Rank, int Code)? failed = null;
        var deadline = DateTime.MaxValue;
        while (true)
        {
            // Looked for before the loop may end: every rank may have ended within one poll.
            var running = ranks.Any(p => !p.HasExited);
            if (failed is null && FirstFailure() is var (r, p))
            {
                failed = (r, p.ExitCode);
                deadline = DateTime.UtcNow + stopWithin;
                Console.Error.WriteLine($"replab: rank {r} of {ranks.Count} (pid {p.Id}) {Describe(p.ExitCode)}" +
                                        (running ? $"; the other ranks stop within {Duration.Text(stopWithin)}" : ""));
            }
            if (!running) break;
            if (DateTime.UtcNow > deadline)
            {
                foreach (var (q, s) in ranks.Select((q, s) => (q, s)).Where(x => !x.q.HasExited))
                {
                    Console.Error.WriteLine($"replab: rank {s} (pid {q.Id}) did not stop within {Duration.Text(stopWithin)} of rank {failed!.Value.Rank}'s end: killed");
                    q.Kill();
                }
                break;
            }
            Thread.Sleep(100);
        }
        foreach (var p in ranks) p.WaitForExit();
        return failed?.Code ?? ranks[0].ExitCode;
    }

    /// <summary>
    /// The rank that ended badly first, or null: the others fail after it, in their collectives. A rank killed by a
    /// signal comes first (the others' errors follow from it, and ends seen in one poll carry their reaping times, not their deaths').
    /// </summary>
    private (int Rank, Process Process)? FirstFailure() =>
        ranks.Select((p, r) => (Rank: r, Process: p)).Where(x => x.Process.HasExited && x.Process.ExitCode != 0)
            .OrderBy(x => x.Process.ExitCode > 128 ? 0 : 1).ThenBy(x => x.Process.ExitTime)
            .Select(x => ((int, Process)?)x).FirstOrDefault();

    /// <summary>An exit code in words: a signal's name for 128 + N (how .NET reports a child killed by a signal).</summary>
    internal static string Describe(int code) => code switch
    {
        > 128 and < 160 => $"was killed by signal {code - 128}{(code - 128) switch { 9 => " (SIGKILL)", 15 => " (SIGTERM)", 6 => " (SIGABRT)", 11 => " (SIGSEGV)", 2 => " (SIGINT)", _ => "" }}",
        _ => $"exited with code {code}",
    };

    private void Forward(PosixSignalContext context, int signal)
    {
        context.Cancel = true;
        foreach (var p in ranks.Where(p => !p.HasExited)) Signal(p.Id, signal);
    }

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/> (kill(2)); 0 when sent.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Signal(int pid, int signal);
}
