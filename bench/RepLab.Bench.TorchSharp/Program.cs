// The engine benchmark's TorchSharp side: the same models, steps and timing protocol as bench/RepLab.Bench
// and bench/engine_pytorch.py (DCGAN 28x28, CIFAR ResNet-18 and SimCLR training steps on fixed synthetic
// inputs), in idiomatic TorchSharp on its own libtorch (the TorchSharp-cpu package's upstream build).
//
//   bash bench/torchsharp.sh setup     (once: restore, build, patch the native library; see that script)
//   dotnet bench/RepLab.Bench.TorchSharp/bin/Release/net10.0/RepLab.Bench.TorchSharp.dll \
//       --model dcgan|resnet18|simclr [--threads 2] [--batch 128] [--steps 20] [--warmup 3]
//   ... --version     (the libtorch version)
//   ... --norm [--threads 2] [--batch 512] [--reps 20]   the SimCLR step's batch norm + activation layers,
//       forward and backward (bench/RepLab.Bench/Norm.cs's layers): norm=<shape>/<activation> torchsharp_ms=<median>
//
// Prints one line per model: model=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
// (process CPU seconds per step, all threads). first_loss matches ours and PyTorch's: the layers are built
// in the same order from the same seed, and libtorch 2.10's CPU generator draws as 1.13's does.
using System.Diagnostics;
using static RepLab.Bench.StepTimer;
using System.Runtime.InteropServices;
using RepLab.Bench.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

var opts = new Dictionary<string, string>();
var models = new List<string>();
var version = false;
var norm = false;
for (var i = 0; i < args.Length; i++)
{
    var a = args[i];
    if (a == "--version") { version = true; continue; }
    if (a == "--norm") { norm = true; continue; }
    if (!a.StartsWith("--") || i + 1 >= args.Length) { Console.Error.WriteLine($"bad argument '{a}'"); return 2; }
    var v = args[++i];
    if (a == "--model") models.Add(v);
    else opts[a[2..]] = v;
}
int Opt(string k, int d) => opts.TryGetValue(k, out var v) ? int.Parse(v) : d;
if (models.Count == 0) models.AddRange(["dcgan", "resnet18"]);

// The OpenMP wait policy our engine sets when it is unset (bench/run.sh exports passive for every side).
// libgomp reads it once, when libtorch loads; Environment.SetEnvironmentVariable does not reach native getenv.
if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) Libc.setenv("OMP_WAIT_POLICY", "passive", 0);
if (!LoadPatchedNative()) return 1;
// Nothing above may touch TorchSharp's `torch` class: its static initializer loads the native library
// (and the runtime may run it as soon as a method that uses `torch` is compiled), so it is used only below.
return version ? PrintVersion() : norm ? NormLayers() : RunModels();

// Upstream libtorch's batch norm then the activation, as PyTorch eager runs them (engine_pytorch.py --norm).
int NormLayers()
{
    torch.set_num_threads(Opt("threads", Environment.ProcessorCount));
    long n = Opt("batch", 512);
    var reps = Opt("reps", 20);
    (long[] Shape, bool Leaky)[] layers = [([n, 32, 14, 14], true), ([n, 64, 7, 7], true), ([n, 128, 4, 4], true), ([n, 512], false)];
    foreach (var (shape, leaky) in layers)
    {
        torch.random.manual_seed(0);
        using nn.Module<Tensor, Tensor> bn = shape.Length == 4 ? nn.BatchNorm2d(shape[1]) : nn.BatchNorm1d(shape[1]);
        using var x = torch.randn(shape).requires_grad_();
        using var g = torch.randn(shape);
        var times = new List<double>();
        for (var i = 0; i < reps + 3; i++)
        {
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            var y = bn.forward(x);
            (leaky ? F.leaky_relu(y, 0.2) : F.relu(y)).backward([g]);
            if (i >= 3) times.Add(sw.Elapsed.TotalMilliseconds);
            x.grad!.zero_();
        }
        times.Sort();
        Console.WriteLine($"norm={string.Join("x", shape)}/{(leaky ? "LeakyReLU" : "ReLU")} torchsharp_ms={times[times.Count / 2]:F2}");
    }
    return 0;
}

static int PrintVersion()
{
    Console.WriteLine(torch.__version__);
    return 0;
}

int RunModels()
{
    torch.set_num_threads(Opt("threads", Environment.ProcessorCount));
    // On stderr (bench/run.sh reads stdout): what the comparison's fairness rests on.
    Console.Error.WriteLine($"# TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}: " +
        $"{torch.get_num_threads()} intra-op threads, {torch.get_num_interop_threads()} inter-op, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset: passive)"}");
    var batch = Opt("batch", 128);
    var warmup = Opt("warmup", 3);
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
}

// TorchSharp's libLibTorchSharp.so is built with GCC 13 and asks for GLIBCXX_3.4.32, which Debian 12's
// libstdc++ lacks; bench/torchsharp.sh setup weakens that requirement in this build's copy. Loading it
// here first turns the loader's error into a message that says what to run.
static bool LoadPatchedNative()
{
    // A build without a runtime identifier keeps each platform's native files under runtimes/<rid>/native.
    var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    string why;
    if (!File.Exists(lib)) why = $"{lib} is missing";
    else
    {
        try { NativeLibrary.Load(lib); return true; }
        catch (DllNotFoundException e) { why = e.Message; }
    }
    Console.Error.WriteLine($"RepLab.Bench.TorchSharp: cannot load TorchSharp's native library: {why}");
    Console.Error.WriteLine("Run `bash bench/torchsharp.sh setup` first: it builds this project and patches that library for Debian 12's libstdc++.");
    return false;
}

// Gradients are cleared through the modules' zero_grad, whose set_to_none defaults to true, as the other
// sides do (PyTorch's zero_grad(set_to_none=True), our engine's zero_grad); TorchSharp's optimizers'
// zero_grad() zeroes them in place instead.

static (double, double, double) Dcgan(int batch, int warmup, int steps)
{
    torch.random.manual_seed(0);
    using var g = Models.DcganGenerator();
    using var d = Models.DcganDiscriminator();
    using var optG = optim.Adam(g.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    using var optD = optim.Adam(d.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    using var real = torch.rand(batch, 1, 28, 28) * 2 - 1;
    using var z = torch.randn(batch, 100, 1, 1);
    using var ones = torch.ones(batch);
    using var zeros = torch.zeros(batch);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var fake = g.call(z);
        // Discriminator: real images labelled 1, generated ones (detached) labelled 0.
        var lossD = F.binary_cross_entropy_with_logits(d.call(real).view(-1), ones)
                  + F.binary_cross_entropy_with_logits(d.call(fake.detach()).view(-1), zeros);
        d.zero_grad();
        lossD.backward();
        optD.step();
        // Generator: make the discriminator call its images real.
        var lossG = F.binary_cross_entropy_with_logits(d.call(fake).view(-1), ones);
        g.zero_grad();
        lossG.backward();
        optG.step();
        return lossD.item<float>();
    });
}

static (double, double, double) ResNet(int batch, int warmup, int steps)
{
    torch.random.manual_seed(0);
    using var model = new ResNet18(10);
    using var opt = optim.SGD(model.parameters(), 0.1, momentum: 0.9, weight_decay: 5e-4);
    using var x = torch.randn(batch, 3, 32, 32);
    using var y = torch.randint(0, 10, [batch]);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var loss = F.cross_entropy(model.call(x), y);
        model.zero_grad();
        loss.backward();
        opt.step();
        return loss.item<float>();
    });
}

// SimCLR's step: both views through conv-small (512 features) as one batch of 2N, the projection head
// (512 -> 512 with batch norm -> 128), NT-Xent at temperature 0.5, SGD with momentum.
static (double, double, double) Simclr(int batch, int warmup, int steps)
{
    torch.random.manual_seed(0);
    using var encoder = Models.ConvSmall(512);
    using var head = Models.MlpHead(512, 512, 128);
    using var opt = optim.SGD(encoder.parameters().Concat(head.parameters()), 0.1, momentum: 0.9, weight_decay: 1e-6);
    using var view1 = torch.rand(batch, 1, 28, 28);
    using var view2 = torch.rand(batch, 1, 28, 28);
    return Time(warmup, steps, () =>
    {
        using var scope = torch.NewDisposeScope();
        var z = head.call(encoder.call(torch.cat([view1, view2]))).chunk(2);
        var loss = Models.NtXent(z[0], z[1], 0.5);
        encoder.zero_grad();
        head.zero_grad();
        loss.backward();
        opt.step();
        return loss.item<float>();
    });
}

static class Libc
{
    [DllImport("libc")]
    internal static extern int setenv(string name, string value, int overwrite);
}
