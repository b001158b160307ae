using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class MemoryTests
{
    private static long RssBytes()
    {
        // Managed garbage (tensor wrappers) would otherwise blur the native figure.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [Fact]
    public void A_thousand_training_steps_keep_live_handles_and_rss_flat()
    {
        torch.manual_seed(0);
        using var model = new nn.Sequential(
            new nn.Conv2d(1, 8, 3, stride: 2, padding: 1), new nn.BatchNorm2d(8), new nn.LeakyReLU(0.2),
            new nn.Flatten(), new nn.Linear(8 * 7 * 7, 10));
        using var opt = new optim.Adam(model.parameters(), lr: 1e-3);
        using var x = torch.randn(16, 1, 14, 14);
        using var y = torch.randint(0, 10, [16]);

        void Step()
        {
            using var scope = torch.NewDisposeScope();
            var loss = F.cross_entropy(model.forward(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }

        for (var i = 0; i < 100; i++) Step();   // warm-up: optimizer state, allocator caches
        // Collect first: handles other tests left to the finalizer must not move the count mid-test.
        var rss = RssBytes();
        var handles = torch.live_tensors;
        for (var i = 0; i < 1000; i++) Step();
        var growth = RssBytes() - rss;
        torch.live_tensors.Should().Be(handles, "every temporary of a step is freed by its scope");
        growth.Should().BeLessThan(32L << 20, $"RSS grew by {growth / 1024} KiB over 1,000 steps");
    }
}
