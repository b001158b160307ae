// The timing protocol every C# side of the engine benchmark follows (ours in this project, TorchSharp's in
// bench/RepLab.Bench.TorchSharp, which compiles this file too), as bench/engine_pytorch.py's time_steps does.
using System.Diagnostics;

namespace RepLab.Bench;

internal static class StepTimer
{
    /// <summary>Runs <paramref name="warmup"/> untimed steps (the first one's loss is returned), then times
    /// <paramref name="steps"/> steps: steps per second, and the process's CPU seconds per step (all
    /// threads: steadier than wall time on a shared machine).</summary>
    public static (double Rate, double Cpu, double FirstLoss) Time(int warmup, int steps, Func<double> step)
    {
        var first = step();
        for (var i = 1; i < warmup; i++) step();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) step();
        var wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (steps / wall, (process.TotalProcessorTime - cpu0).TotalSeconds / steps, first);
    }
}
