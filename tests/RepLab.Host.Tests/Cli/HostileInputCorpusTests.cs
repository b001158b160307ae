using System.Buffers.Binary;
using System.Diagnostics;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests;

/// <summary>
/// A corpus of hostile inputs, each fed to the CLI as a user would (YAML, sweeps, images, idx, CIFAR
/// and STL-10 files, checkpoints, store files), with the exit code and the words its message must hold.
/// Bounds for every case: 10 s of wall time, and the test process's peak working set under 4 GiB
/// (the unbounded cases this corpus came from reached 4 to 4.5 GB or never finished).
/// </summary>
public class HostileInputCorpusTests() : CliHarness("replab-hostile-")
{
    private const long MemoryBound = 4L << 30;

    private string File(string relative, byte[] content)
    {
        var path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    private string Text(string relative, string content) => File(relative, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>A file of <paramref name="head"/>, <paramref name="piece"/> <paramref name="times"/> times, then <paramref name="tail"/>, written in chunks (a 200 MB file without a 200 MB string).</summary>
    private string Repeated(string relative, string head, string piece, int times, string tail)
    {
        var path = Path.Combine(Dir, relative);
        const int perChunk = 1 << 16;
        var chunk = string.Concat(Enumerable.Repeat(piece, perChunk));
        using (var w = new StreamWriter(path))
        {
            w.Write(head);
            for (var i = 0; i < times / perChunk; i++) w.Write(chunk);
            for (var i = 0; i < times % perChunk; i++) w.Write(piece);
            w.Write(tail);
        }
        return path;
    }

    /// <summary>An experiment whose <c>defaults:</c> include a tiny file 10^<paramref name="levels"/> times: ten of the level below, each level.</summary>
    private string DefaultsBomb(int levels)
    {
        Text("d0.yaml", "seed: 1\n");
        for (var i = 1; i <= levels; i++)
            Text($"d{i}.yaml", "defaults: [" + string.Join(", ", Enumerable.Repeat($"d{i - 1}.yaml", 10)) + "]\n");
        return Experiment("{ plugin: synthetic }", $"defaults: [d{levels}.yaml]");
    }

    private string Experiment(string dataset, string extra = "") => Text("exp.yaml", $$"""
        name: hostile
        dataset: {{dataset}}
        encoder: { plugin: conv-small, features: 8 }
        method: { plugin: autoencoder }
        trainer: { epochs: 1, batch-size: 8, threads: 1 }
        {{extra}}
        """);

    private static byte[] Idx(int magic, int[] dims, int payload)
    {
        var header = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return [.. header, .. new byte[payload]];
    }

    /// <summary>An experiment stopped after two steps, and its checkpoint's path.</summary>
    private (string Experiment, string Checkpoint) Checkpointed(string runs)
    {
        var exp = Experiment("{ plugin: synthetic, train-size: 64, test-size: 16 }");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "2").code.Should().Be(0);
        return (exp, Directory.GetFiles(runs, "last.safetensors", SearchOption.AllDirectories).Single());
    }

    /// <summary>Builds the case's files; returns the CLI arguments.</summary>
    private string[] Build(string name)
    {
        var runs = Path.Combine(Dir, "runs");
        switch (name)
        {
            case "yaml alias bomb":
            {
                var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
                for (var i = 1; i <= 10; i++) lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
                return ["validate", Text("bomb.yaml", string.Join("\n", lines) + "\n")];
            }
            case "yaml nested 5,000 deep":
                return ["validate", Text("deep.yaml", "deep: " + new string('[', 5000) + new string(']', 5000) + "\n")];
            case "yaml control characters":
                return ["validate", Text("ctl.yaml", "name: x\nseed: [unclosed\n\u0001\u0002\n")];
            case "yaml 20 MB scalar":
                return ["validate", Experiment("{ plugin: synthetic }", "tracking: { experiment: " + new string('x', 20_000_000) + " }")];
            case "yaml 200 MB scalar":
                return ["validate", Repeated("huge-name.yaml", "name: ", "x", 200_000_000,
                    "\ndataset: { plugin: synthetic }\nencoder: { plugin: conv-small, features: 8 }\nmethod: { plugin: autoencoder }\n")];
            case "yaml 20,000-character value":
                return ["validate", Experiment("{ plugin: synthetic }", "tracking: { experiment: " + new string('x', 20_000) + " }")];
            case "yaml 40-level ${k}${k} interpolation":
            {
                var lines = new List<string> { "vars:", "  k0: ab" };
                for (var i = 1; i <= 40; i++) lines.Add($"  k{i}: \"${{vars.k{i - 1}}}${{vars.k{i - 1}}}\"");
                return ["validate", Experiment("{ plugin: synthetic }", string.Join("\n", lines))];
            }
            case "yaml 40-level references to references":
            {
                var lines = new List<string> { "k0: [a, b]" };
                for (var i = 1; i <= 40; i++) lines.Add($"k{i}: [\"${{k{i - 1}}}\", \"${{k{i - 1}}}\"]");
                return ["config", Text("refs.yaml", string.Join("\n", lines) + "\n")];
            }
            case "yaml 33-million-item flow list":
                return ["validate", Repeated("list.yaml", "x: [", "0,", 33_000_000, "0]\n")];
            case "yaml million-item block list":
                return ["validate", Repeated("block.yaml", "x:\n", "  - 0\n", 1_000_000, "")];
            case "yaml 20,000-item list in 120 KB":
                return ["validate", Experiment("{ plugin: synthetic }", "data: { pretrain-splits: [" + string.Join(", ", Enumerable.Repeat("train", 20_000)) + "] }")];
            case "yaml defaults included a billion times":
                return ["validate", DefaultsBomb(9)];
            case "sweep of a billion random trials":
                return ["validate", Experiment("{ plugin: synthetic }", "sweep:\n  random:\n    trials: 1000000000\n    optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }")];
            case "sweep grid of 10^12 trials":
                return ["validate", Experiment("{ plugin: synthetic }", "sweep:\n  grid:\n" + string.Concat(Enumerable.Range(0, 6).Select(k =>
                    $"    k{k}: [{string.Join(", ", Enumerable.Range(0, 100))}]\n")))];
            case "png claiming 100000x100000":
            {
                // A real 1x1 PNG whose IHDR claims the size (CRC recomputed): a few dozen bytes.
                byte[] png;
                using (var one = RepLab.Torch.torch.zeros([1, 1, 1], RepLab.Torch.ScalarType.UInt8)) png = RepLab.Host.Run.Images.EncodePng(one);
                BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);
                BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);
                BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), RepLab.Host.Run.Images.Crc32(png.AsSpan(12, 17)));
                File("images/shirt/huge.png", png);
                return ["run", Experiment($"{{ plugin: image-folder, root: {Path.Combine(Dir, "images")}, channels: 1 }}"), "--runs-dir", runs];
            }
            case "idx promising 60000x28x28 in 100 bytes":
                File("idx/train-images-idx3-ubyte", Idx(2051, [60000, 28, 28], 100));
                File("idx/train-labels-idx1-ubyte", Idx(2049, [60000], 60000));
                return ["run", Experiment($"{{ plugin: idx, root: {Path.Combine(Dir, "idx")} }}"), "--runs-dir", runs];
            case "idx with a 2^31 dimension":
                File("idx2/train-images-idx3-ubyte", Idx(2051, [int.MaxValue, int.MaxValue, 28], 16));
                File("idx2/train-labels-idx1-ubyte", Idx(2049, [10], 10));
                return ["run", Experiment($"{{ plugin: idx, root: {Path.Combine(Dir, "idx2")} }}"), "--runs-dir", runs];
            case "cifar batch cut short":
                for (var i = 1; i <= 5; i++) File($"cifar/cifar-10-batches-bin/data_batch_{i}.bin", new byte[3073 * 2 + 100]);
                File("cifar/cifar-10-batches-bin/test_batch.bin", new byte[3073 * 2]);
                return ["run", Experiment($"{{ plugin: cifar, root: {Path.Combine(Dir, "cifar")} }}"), "--runs-dir", runs];
            case "stl10 images cut short":
                File("stl/stl10_binary/train_X.bin", new byte[27648 + 5]);
                File("stl/stl10_binary/train_y.bin", [1]);
                return ["run", Experiment($"{{ plugin: stl10, root: {Path.Combine(Dir, "stl")} }}"), "--runs-dir", runs];
            case "checkpoint with a flipped bit":
            {
                var (exp, checkpoint) = Checkpointed(runs);
                var bytes = System.IO.File.ReadAllBytes(checkpoint);
                bytes[^20] ^= 0x10;
                System.IO.File.WriteAllBytes(checkpoint, bytes);
                return ["run", exp, "--runs-dir", runs, "--resume"];
            }
            case "checkpoint that is random bytes":
            {
                var (exp, checkpoint) = Checkpointed(runs);
                var noise = new byte[4096];
                new Random(1).NextBytes(noise);
                System.IO.File.WriteAllBytes(checkpoint, noise);
                return ["run", exp, "--runs-dir", runs, "--resume"];
            }
            case "store meta.yaml of garbage":
            {
                var store = new MlflowFileStore(Path.Combine(Dir, "store"));
                using (var t = new MlflowTracker(store))
                {
                    t.Emit(Tracking.MlflowFileStoreTests.Started("e", "victim"));
                    t.Emit(new RepLab.Tracking.RunEnded(DateTimeOffset.UtcNow, RepLab.Tracking.RunStatus.Finished, null));
                    System.IO.File.WriteAllBytes(Path.Combine(t.Run!.Directory, "meta.yaml"), [0xff, 0xfe, 0x00, 0x01, (byte)'[', (byte)':']);
                }
                return ["runs", "--store", Path.Combine(Dir, "store")];
            }
            default:
                throw new ArgumentException(name);
        }
    }

    [Theory]
    [InlineData("yaml alias bomb", 2, "expands past 100,000 values")]
    [InlineData("yaml nested 5,000 deep", 2, "deep.yaml:1")]
    [InlineData("yaml control characters", 2, "ctl.yaml:")]
    [InlineData("yaml 20 MB scalar", 2, "exp.yaml:6:", "tracking.experiment: the experiment's YAML passes 1 MiB (1,048,576 bytes) here")]
    [InlineData("yaml 200 MB scalar", 2, "huge-name.yaml:1:7: name: a value of more than 10,000 characters")]
    [InlineData("yaml 20,000-character value", 2, "exp.yaml:6:25: tracking.experiment: a value of more than 10,000 characters")]
    [InlineData("yaml 40-level ${k}${k} interpolation", 2, "exp.yaml:", "vars.k13: its ${...} references make a value of more than 10,000 characters")]
    [InlineData("yaml 40-level references to references", 2, "refs.yaml:16:6: k15: this value grows past 100,000 values once its ${...} references are resolved")]
    [InlineData("yaml 33-million-item flow list", 2, "list.yaml:1:4: x: a list of more than 10,000 items")]
    [InlineData("yaml million-item block list", 2, "block.yaml:2:3: x: a list of more than 10,000 items")]
    [InlineData("yaml 20,000-item list in 120 KB", 2, "exp.yaml:6:", "data.pretrain-splits: a list of more than 10,000 items")]
    [InlineData("yaml defaults included a billion times", 2, "the experiment's YAML passes 1 MiB", "each time it is included")]
    [InlineData("sweep of a billion random trials", 2, "exp.yaml:8:13: ", "sweep.random.trials: 1,000,000,000 trials; a sweep holds at most 100,000")]
    [InlineData("sweep grid of 10^12 trials", 2, "exp.yaml:6:1: ", "sweep: grid, random and seeds make 1,000,000,000,000 trials")]
    [InlineData("png claiming 100000x100000", 2, "huge.png: 100,000 x 100,000 pixels")]
    [InlineData("idx promising 60000x28x28 in 100 bytes", 2, "train-images-idx3-ubyte")]
    [InlineData("idx with a 2^31 dimension", 2, "train-images-idx3-ubyte")]
    [InlineData("cifar batch cut short", 2, "data_batch_1.bin")]
    [InlineData("stl10 images cut short", 2, "train_X.bin")]
    [InlineData("checkpoint with a flipped bit", 2, "last.safetensors")]
    [InlineData("checkpoint that is random bytes", 2, "last.safetensors")]
    [InlineData("store meta.yaml of garbage", 0, "damaged:")]
    public void Hostile_input_is_refused_in_bounded_time_and_memory_with_a_message_naming_it(string name, int exit, params string[] words)
    {
        var args = Build(name);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = Cli(args);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), $"{name}: bounded work");
        Process.GetCurrentProcess().PeakWorkingSet64.Should().BeLessThan(MemoryBound, $"{name}: bounded memory");
        code.Should().Be(exit, $"{name}: {stderr}{stdout}");
        foreach (var w in words) (stderr + stdout).Should().Contain(w);
        stderr.Should().NotContain("   at ", "a refusal is a message, not a stack trace");
        stderr.Should().NotContain("internal error", "hostile input is the user's to fix, not a bug");
    }
}
