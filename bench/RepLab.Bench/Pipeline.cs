// Augmentation pipeline benchmark: SimCLR's two views of 32x32 RGB images at batch 512, made by
// the built-in batched augmentations. bench/run.sh pipeline runs this and
// bench/pipeline_torchvision.py (the same transforms per image in a DataLoader) alternately.
//
//   dotnet RepLab.Bench.dll pipeline [--threads 2] [--batch 512] [--batches 20] [--warmup 2]
//
// Prints: pipeline=simclr img_per_s=<source images per second, two views each>
using System.Diagnostics;
using RepLab.Plugins.Augmentations.ColorJitter;
using RepLab.Plugins.Augmentations.RandomFlip;
using RepLab.Plugins.Augmentations.RandomGrayscale;
using RepLab.Plugins.Augmentations.RandomResizedCrop;
using RepLab.Torch;

namespace RepLab.Bench;

internal static class Pipeline
{
    public static int Run(string[] args)
    {
        var opts = new Dictionary<string, int>();
        for (var i = 0; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = int.Parse(args[i + 1]);
        int Opt(string k, int d) => opts.GetValueOrDefault(k, d);
        var batch = Opt("batch", 512);
        var batches = Opt("batches", 20);
        torch.set_num_threads(Opt("threads", Environment.ProcessorCount));
        torch.manual_seed(0);
        // Images held as uint8 [N, 3, 32, 32], as a dataset plugin holds them.
        using var images = torch.randint(0, 256, [batch * 8, 3, 32, 32], ScalarType.UInt8);
        var view = new RepLab.Abstractions.IAugmentation[]
        {
            new RandomResizedCropAugmentation(new RandomResizedCropOptions { Scale = [0.08, 1.0] }),
            new RandomFlipAugmentation(new RandomFlipOptions()),
            new ColorJitterAugmentation(new ColorJitterOptions { Brightness = 0.4, Contrast = 0.4, Saturation = 0.4, Hue = 0.1, P = 0.8 }),
            new RandomGrayscaleAugmentation(new RandomGrayscaleOptions { P = 0.2 }),
        };
        var spent = new double[view.Length];
        void Step(int b)
        {
            using var scope = torch.NewDisposeScope();
            using var g = new Generator((ulong)b);
            using var order = torch.randperm(images.size(0), generator: g);
            var x = images.index_select(0, order.slice(0, 0, batch)).to(ScalarType.Float32) / 255.0;
            for (var v = 0; v < 2; v++)
            {
                var y = x;
                for (var k = 0; k < view.Length; k++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    y = view[k].Apply(y, g);
                    spent[k] += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                }
            }
        }
        for (var b = 0; b < Opt("warmup", 2); b++) Step(b);
        Array.Clear(spent);
        var clock = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++) Step(1000 + b);
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"pipeline=simclr img_per_s={batch * batches / total:F1}");
        // Where the time goes (stderr, so run.sh's parsing sees only the line above).
        var names = view.Select(a => a.GetType().Name.Replace("Augmentation", "")).ToArray();
        Console.Error.WriteLine("# share of time: " + string.Join(", ", names.Select((n, k) => $"{n} {100 * spent[k] / total:F0}%")));
        return 0;
    }
}
