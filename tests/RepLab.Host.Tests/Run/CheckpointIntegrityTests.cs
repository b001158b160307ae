using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Run;

/// <summary>A damaged or lying checkpoint is refused on --resume with the file's name, exit 2, instead of resuming into another result (issue 12, case 3).</summary>
public class CheckpointIntegrityTests() : CliHarness("replab-ckpt-")
{
    private (string Experiment, string Runs, string Checkpoint) Interrupted()
    {
        var exp = Path.Combine(Dir, "exp.yaml");
        File.WriteAllText(exp, """
            name: tiny
            dataset: { plugin: synthetic, train-size: 128, test-size: 32 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: autoencoder }
            trainer: { epochs: 2, batch-size: 32, threads: 1 }
            """);
        var runs = Path.Combine(Dir, "runs");
        Cli("run", exp, "--runs-dir", runs, "--stop-after-steps", "3").code.Should().Be(0);
        var checkpoint = Directory.GetFiles(runs, "last.safetensors", SearchOption.AllDirectories).Single();
        return (exp, runs, checkpoint);
    }

    /// <summary>Rewrites the safetensors header with <paramref name="edit"/>; the data stays as it was.</summary>
    private static void EditHeader(string path, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        var output = new byte[8 + padded.Length + bytes.Length - 8 - length];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)padded.Length);
        padded.CopyTo(output, 8);
        bytes.AsSpan(8 + length).CopyTo(output.AsSpan(8 + padded.Length));
        File.WriteAllBytes(path, output);
    }

    private void RefusedWith(string experiment, string runs, string checkpoint, string message)
    {
        var (code, _, stderr) = Cli("run", experiment, "--runs-dir", runs, "--resume");
        code.Should().Be(2, stderr);
        stderr.Should().Contain(checkpoint).And.Contain(message).And.Contain("to start over");
    }

    [Fact]
    public void A_flipped_bit_in_a_weight_is_refused()
    {
        var (exp, runs, ckpt) = Interrupted();
        var bytes = File.ReadAllBytes(ckpt);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(ckpt, bytes);
        RefusedWith(exp, runs, ckpt, "fails its checksum");
    }

    [Fact]
    public void A_dtype_changed_in_the_header_is_refused()
    {
        var (exp, runs, ckpt) = Interrupted();
        EditHeader(ckpt, h => h["module.encoder.body.0.weight"]!["dtype"] = "I32");
        RefusedWith(exp, runs, ckpt, "module.encoder.body.0.weight is Int32 in the checkpoint but Float32 in the model");
    }

    [Fact]
    public void Swapped_data_offsets_are_refused()
    {
        var (exp, runs, ckpt) = Interrupted();
        EditHeader(ckpt, h =>
        {
            var (a, b) = (h["module.encoder.body.1.weight"]!, h["module.encoder.body.1.bias"]!);
            (a["data_offsets"], b["data_offsets"]) = (b["data_offsets"]!.DeepClone(), a["data_offsets"]!.DeepClone());
        });
        RefusedWith(exp, runs, ckpt, "fails its checksum");
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("1000000")]
    [InlineData("three")]
    public void A_global_step_outside_the_plan_is_refused(string value)
    {
        var (exp, runs, ckpt) = Interrupted();
        EditHeader(ckpt, h => h["__metadata__"]!["global_step"] = value);
        RefusedWith(exp, runs, ckpt, $"'global_step' is '{value}', not a position in this run (0..8)");
    }

    [Fact]
    public void A_missing_tensor_is_refused_with_the_files_name()
    {
        var (exp, runs, ckpt) = Interrupted();
        EditHeader(ckpt, h => h.Remove("module.decoder.body.0.weight"));
        RefusedWith(exp, runs, ckpt, "not a checkpoint of this experiment");
    }
}
