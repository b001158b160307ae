// Batch norm + activation layers of conv-small and the SimCLR head, forward and backward in
// training mode: the engine's fused kernels against libtorch's batch_norm then the activation
// (F.UseFusedBatchNorm off), in one process. bench/run.sh norm also runs bench/engine_pytorch.py's
// same layers in PyTorch.
//
//   dotnet RepLab.Bench.dll norm [--threads 2] [--batch 512] [--reps 20]
//
// Prints one line per layer: norm=<shape>/<activation> fused_ms=<ms> libtorch_ms=<ms> (medians of reps).
using System.Diagnostics;
using RepLab.Torch;

namespace RepLab.Bench;

internal static class Norm
{
    public static int Run(string[] args)
    {
        var opts = new Options(args);
        torch.set_num_threads(opts.Int("threads", Environment.ProcessorCount));
        long n = opts.Int("batch", 512);
        var reps = opts.Int("reps", 20);
        foreach (var (shape, act) in Layers(n))
        {
            var fused = Median(shape, act, reps, true);
            var plain = Median(shape, act, reps, false);
            Console.WriteLine($"norm={string.Join("x", shape)}/{act.Kind} fused_ms={fused:F2} libtorch_ms={plain:F2}");
        }
        return 0;
    }

    /// <summary>conv-small's three blocks (LeakyReLU 0.2) and the projection head's hidden layer (ReLU).</summary>
    public static IEnumerable<(long[] Shape, NormActivation Act)> Layers(long n) =>
    [
        ([n, 32, 14, 14], NormActivation.LeakyReLU(0.2)),
        ([n, 64, 7, 7], NormActivation.LeakyReLU(0.2)),
        ([n, 128, 4, 4], NormActivation.LeakyReLU(0.2)),
        ([n, 512], NormActivation.ReLU),
    ];

    private static double Median(long[] shape, NormActivation act, int reps, bool fused)
    {
        F.UseFusedBatchNorm = fused;
        torch.manual_seed(0);
        var bn = shape.Length == 4 ? (nn.BatchNorm)new nn.BatchNorm2d(shape[1]) : new nn.BatchNorm1d(shape[1]);
        using var x = torch.randn(shape).requires_grad_();
        using var g = torch.randn(shape);
        var times = new List<double>();
        for (var i = 0; i < reps + 3; i++)
        {
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            var y = bn.forward(x, act);
            y.backward(g);
            if (i >= 3) times.Add(sw.Elapsed.TotalMilliseconds);
            x.grad!.zero_();
        }
        times.Sort();
        F.UseFusedBatchNorm = true;
        return times[times.Count / 2];
    }
}
