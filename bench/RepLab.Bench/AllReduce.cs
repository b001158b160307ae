// All-reduce throughput between processes over Gloo (bench/distributed.sh starts the ranks, and
// bench/allreduce_pytorch.py's with PyTorch's torch.distributed, which follows the same protocol).
//
//   dotnet RepLab.Bench.dll allreduce --rank R --world 2 --port P [--host 127.0.0.1] [--sizes "1 10 100"]
//                                     [--warmup 3] [--reps 20] [--threads 1]
//
// Rank 0 hosts the TCP store at host:port; every rank joins one Gloo group. Per size (MB of 10^6 bytes,
// float32): each rank fills its buffer with rank + 1 before every call (untimed), the ranks meet at a
// barrier, then rank 0 times one in-place sum; warm-up calls first, then timed ones. Rank 0 prints
//   allreduce_mb=<n> median_s=<seconds> gbps=<bytes / median / 10^9>   (algorithm bandwidth)
// and fails when the sum is wrong.
using System.Diagnostics;
using System.Globalization;
using RepLab.Torch;
using static RepLab.Torch.torch.distributed;

namespace RepLab.Bench;

internal static class AllReduce
{
    public static int Run(string[] args)
    {
        var opts = new Options(args);
        var rank = opts.Int("rank", -1);
        var world = opts.Int("world", 2);
        var port = opts.Int("port", 0);
        if (rank < 0 || rank >= world || port <= 0)
        {
            Console.Error.WriteLine("allreduce: --rank R (0 <= R < world), --world N and --port P (> 0) are required");
            return 2;
        }
        torch.set_num_threads(opts.Int("threads", 1));
        var timeout = TimeSpan.FromSeconds(120);
        using var store = Store.Tcp(opts.Get("host", "127.0.0.1"), port, world, rank == 0, timeout);
        using var group = ProcessGroup.Gloo(store, rank, world, timeout);
        var sizes = opts.Get("sizes", "1 10 100").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        foreach (var mb in sizes)
        {
            var median = Median(group, mb, opts.Int("warmup", 3), opts.Int("reps", 20));
            var gbps = mb * 1e6 / median / 1e9;
            if (rank == 0)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allreduce_mb={mb} median_s={median:F6} gbps={gbps:F3}"));
        }
        group.Barrier();
        return 0;
    }

    /// <summary>The median seconds of one all-reduce of <paramref name="mb"/> MB over <paramref name="reps"/> timed calls, after <paramref name="warmup"/> untimed ones.</summary>
    private static double Median(ProcessGroup group, int mb, int warmup, int reps)
    {
        using var buffer = torch.empty([mb * 250_000L]);
        var times = new List<double>();
        for (var i = 0; i < warmup + reps; i++)
        {
            buffer.fill_(group.Rank + 1);
            group.Barrier();
            var sw = Stopwatch.StartNew();
            group.AllReduce(buffer);
            var seconds = sw.Elapsed.TotalSeconds;
            if (i >= warmup) times.Add(seconds);
        }
        // Every element is the sum of the ranks' rank + 1.
        var expected = group.WorldSize * (group.WorldSize + 1) / 2.0;
        using var first = buffer[0];
        using var last = buffer[buffer.shape[0] - 1];
        if (first.item<float>() != expected || last.item<float>() != expected)
            throw new InvalidOperationException($"allreduce of {mb} MB: expected {expected} in every element, got {first.item<float>()} and {last.item<float>()}");
        times.Sort();
        return times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
    }
}
