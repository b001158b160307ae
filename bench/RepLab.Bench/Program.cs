// Engine benchmark: times training steps of DCGAN (28x28), CIFAR ResNet-18 (32x32) and SimCLR
// (conv-small with its projection head and NT-Xent over two 28x28 views) on fixed synthetic inputs. bench/run.sh runs this and bench/engine_pytorch.py alternately;
// both follow the same protocol: seed, build, warm-up steps, then time `steps` steps.
//
//   dotnet RepLab.Bench.dll --model dcgan|resnet18|simclr [--threads 2] [--batch 128] [--steps 20] [--warmup 3] [--no-adjoint]
//   dotnet RepLab.Bench.dll --method NAME ...     every method's step through its plugin (MethodSteps.cs)
//   dotnet RepLab.Bench.dll norm|pipeline|tracking|allreduce ...   (Norm.cs, Pipeline.cs, TrackingCost.cs, AllReduce.cs)
//
// Prints one line per model or method: model|method=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
// (first_loss: both sides start from the same seeded weights, so it matches PyTorch's).
using System.Diagnostics;
using static RepLab.Bench.StepTimer;
using RepLab.Bench;
using RepLab.Torch;

if (args.Length > 0 && args[0] == "pipeline") return Pipeline.Run(args[1..]);
if (args.Length > 0 && args[0] == "tracking") return TrackingCost.Run(args[1..]);
if (args.Length > 0 && args[0] == "norm") return Norm.Run(args[1..]);
if (args.Length > 0 && args[0] == "allreduce") return AllReduce.Run(args[1..]);

var opts = new Dictionary<string, string>();
var models = new List<string>();
var methods = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    var a = args[i];
    if (a == "--no-adjoint") { opts["no-adjoint"] = "1"; continue; }
    if (a == "--version") { Console.WriteLine(torch.version); return 0; }
    if (!a.StartsWith("--") || i + 1 >= args.Length) { Console.Error.WriteLine($"bad argument '{a}'"); return 2; }
    var v = args[++i];
    if (a == "--model") models.Add(v);
    else if (a == "--method") methods.Add(v);
    else opts[a[2..]] = v;
}
int Opt(string k, int d) => opts.TryGetValue(k, out var v) ? int.Parse(v) : d;
var threads = Opt("threads", Environment.ProcessorCount);
var batch = Opt("batch", 128);
var warmup = Opt("warmup", 3);
if (models.Count == 0 && methods.Count == 0) models.AddRange(["dcgan", "resnet18"]);
F.UseAdjointConvTranspose = !opts.ContainsKey("no-adjoint");
torch.set_num_threads(threads);

foreach (var method in methods)
{
    if (!MethodSteps.All.TryGetValue(method, out var entry))
    {
        Console.Error.WriteLine($"unknown method '{method}' ({string.Join(", ", MethodSteps.All.Keys)})");
        return 2;
    }
    var (rate, cpu, loss) = Time(warmup, Opt("steps", 10), entry.Make(Opt("batch", entry.Batch)));
    Console.WriteLine($"method={method} steps_per_s={rate:F3} cpu_s_per_step={cpu:F3} first_loss={loss:F4}");
}

foreach (var model in models)
{
    var steps = Opt("steps", model == "resnet18" ? 4 : 20);
    var (rate, cpu, loss) = model switch
    {
        "dcgan" => Dcgan(batch, warmup, steps),
        "resnet18" => ResNet(batch, warmup, steps),
        "simclr" => Simclr(batch, warmup, steps),
        _ => throw new ArgumentException($"unknown model '{model}' (dcgan, resnet18, simclr)"),
    };
    Console.WriteLine($"model={model} steps_per_s={rate:F3} cpu_s_per_step={cpu:F3} first_loss={loss:F4}");
}
return 0;

static (double, double, double) Dcgan(int batch, int warmup, int steps)
{
    torch.manual_seed(0);
    using var g = Models.DcganGenerator();
    using var d = Models.DcganDiscriminator();
    using var optG = new optim.Adam(g.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    using var optD = new optim.Adam(d.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    using var real = torch.rand([batch, 1, 28, 28]).mul_(2.0).sub_(1.0);
    using var z = torch.randn(batch, 100, 1, 1);
    using var ones = torch.ones(batch);
    using var zeros = torch.zeros(batch);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var fake = g.forward(z);
        // Discriminator: real images labelled 1, generated ones (detached) labelled 0.
        var lossD = F.binary_cross_entropy_with_logits(d.forward(real).view(-1), ones)
                  + F.binary_cross_entropy_with_logits(d.forward(fake.detach()).view(-1), zeros);
        optD.zero_grad();
        lossD.backward();
        optD.step();
        // Generator: make the discriminator call its images real.
        var lossG = F.binary_cross_entropy_with_logits(d.forward(fake).view(-1), ones);
        optG.zero_grad();
        lossG.backward();
        optG.step();
        return lossD.item();
    });
}

static (double, double, double) ResNet(int batch, int warmup, int steps)
{
    torch.manual_seed(0);
    using var model = new ResNet18(10);
    using var opt = new optim.SGD(model.parameters(), lr: 0.1, momentum: 0.9, weight_decay: 5e-4);
    using var x = torch.randn(batch, 3, 32, 32);
    using var y = torch.randint(0, 10, [batch]);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var loss = F.cross_entropy(model.forward(x), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        return loss.item();
    });
}

// SimCLR's step as the simclr plugin takes it: both views through conv-small (512 features) as one
// batch of 2N, the projection head (512 -> 512 with batch norm -> 128), NT-Xent at temperature 0.5,
// and SGD with momentum (the same optimizer on both sides: PyTorch has no LARS built in).
static (double, double, double) Simclr(int batch, int warmup, int steps)
{
    torch.manual_seed(0);
    var shape = new RepLab.Abstractions.ImageShape(1, 28, 28);
    using var encoder = new RepLab.Plugins.Encoders.ConvSmall.ConvSmallNetwork(shape, new() { Features = 512 });
    using var head = new RepLab.Blocks.MlpHead(512, 512, 128);
    using var opt = new optim.SGD(encoder.parameters().Concat(head.parameters()), lr: 0.1, momentum: 0.9, weight_decay: 1e-6);
    using var view1 = torch.rand([batch, 1, 28, 28]);
    using var view2 = torch.rand([batch, 1, 28, 28]);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var z = head.forward(encoder.forward(torch.cat([view1, view2]))).chunk(2);
        var loss = RepLab.Blocks.NtXentLoss.Compute(z[0], z[1], 0.5);
        opt.zero_grad();
        loss.backward();
        opt.step();
        return loss.item();
    });
}
