// Augmentation pipeline benchmark: two views of RGB images made by the built-in batched
// augmentations, SimCLR's (default: 32x32 at batch 512) or BYOL's asymmetric pair with blur and
// solarize (e.g. STL-10's 96x96). bench/run.sh pipeline runs this and
// bench/pipeline_torchvision.py (the same transforms per image in a DataLoader) alternately.
//
//   dotnet RepLab.Bench.dll pipeline [--pipeline simclr|byol] [--size 32] [--threads 2] [--batch 512] [--batches 20] [--warmup 2]
//
// Prints: pipeline=<name> img_per_s=<source images per second, two views each>
using System.Diagnostics;
using RepLab.Abstractions;
using RepLab.Plugins.Augmentations.ColorJitter;
using RepLab.Plugins.Augmentations.GaussianBlur;
using RepLab.Plugins.Augmentations.Solarize;
using RepLab.Plugins.Augmentations.RandomFlip;
using RepLab.Plugins.Augmentations.RandomGrayscale;
using RepLab.Plugins.Augmentations.RandomResizedCrop;
using RepLab.Torch;

namespace RepLab.Bench;

internal static class Pipeline
{
    public static int Run(string[] args)
    {
        var opts = new Options(args);
        var name = opts.Get("pipeline", "simclr");
        var batch = opts.Int("batch", 512);
        var batches = opts.Int("batches", 20);
        var side = opts.Int("size", 32);
        torch.set_num_threads(opts.Int("threads", Environment.ProcessorCount));
        torch.manual_seed(0);
        // Images held as uint8 [N, 3, side, side], as a dataset plugin holds them.
        using var images = torch.randint(0, 256, [batch * 8, 3, side, side], ScalarType.UInt8);
        var views = Views(name);
        var kinds = views.SelectMany(v => v).Select(a => a.GetType()).Distinct().ToArray();
        var spent = new double[kinds.Length];
        void Step(int b)
        {
            using var scope = torch.NewDisposeScope();
            using var g = new Generator((ulong)b);
            using var order = torch.randperm(images.size(0), generator: g);
            var x = images.index_select(0, order.slice(0, 0, batch)).to(ScalarType.Float32) / 255.0;
            foreach (var view in views)
            {
                var y = x;
                foreach (var step in view)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    y = step.Apply(y, g);
                    spent[Array.IndexOf(kinds, step.GetType())] += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                }
            }
        }
        for (var b = 0; b < opts.Int("warmup", 2); b++) Step(b);
        Array.Clear(spent);
        var clock = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++) Step(1000 + b);
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"pipeline={name} img_per_s={batch * batches / total:F1}");
        // Where the time goes (stderr, so run.sh's parsing sees only the line above).
        var names = kinds.Select(k => k.Name.Replace("Augmentation", "")).ToArray();
        Console.Error.WriteLine("# share of time: " + string.Join(", ", names.Select((n, k) => $"{n} {100 * spent[k] / total:F0}%")));
        return 0;
    }

    /// <summary>
    /// The two views: SimCLR's (one pipeline twice; colour jitter at strength 0.5, as for CIFAR) or
    /// BYOL's asymmetric pair (Grill et al., table 6: view 1 always blurred, view 2 blurred with
    /// p 0.1 and solarized with p 0.2), as experiments/base/views/ has them.
    /// </summary>
    private static IAugmentation[][] Views(string name)
    {
        IAugmentation Crop() => new RandomResizedCropAugmentation(new RandomResizedCropOptions { Scale = [0.08, 1.0] });
        IAugmentation Flip() => new RandomFlipAugmentation(new RandomFlipOptions());
        IAugmentation Gray() => new RandomGrayscaleAugmentation(new RandomGrayscaleOptions { P = 0.2 });
        IAugmentation Blur(double p) => new GaussianBlurAugmentation(new GaussianBlurOptions { Sigma = [0.1, 2.0], P = p });
        switch (name)
        {
            case "simclr":
                IAugmentation[] simclr = [Crop(), Flip(), new ColorJitterAugmentation(new ColorJitterOptions { Brightness = 0.4, Contrast = 0.4, Saturation = 0.4, Hue = 0.1, P = 0.8 }), Gray()];
                return [simclr, simclr];
            case "byol":
                IAugmentation Jitter() => new ColorJitterAugmentation(new ColorJitterOptions { Brightness = 0.4, Contrast = 0.4, Saturation = 0.2, Hue = 0.1, P = 0.8 });
                return [[Crop(), Flip(), Jitter(), Gray(), Blur(1.0)],
                        [Crop(), Flip(), Jitter(), Gray(), Blur(0.1), new SolarizeAugmentation(new SolarizeOptions { Threshold = 0.5, P = 0.2 })]];
            default:
                throw new ArgumentException($"pipeline: unknown pipeline '{name}' (simclr, byol)");
        }
    }
}
