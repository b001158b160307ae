using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("replab-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Safetensors_round_trips_every_dtype_and_metadata()
    {
        using var scope = torch.NewDisposeScope();
        var src = torch.arange(0, 6, 1, ScalarType.Float64).reshape(2, 3);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var dt in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
                     ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.UInt8, ScalarType.Bool })
            tensors[$"t.{dt}"] = src.to(dt);
        tensors["scalar"] = torch.tensor(3.5);
        var path = Path.Combine(dir, "all.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["epoch"] = "3" });

        var raw = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt64(raw, 0);
        (headerLength % 8).Should().Be(0);
        System.Text.Encoding.UTF8.GetString(raw, 8, (int)headerLength).Should().Contain("\"BF16\"").And.Contain("__metadata__");

        var (loaded, meta) = Safetensors.Load(path);
        meta["epoch"].Should().Be("3");
        loaded.Keys.Should().BeEquivalentTo(tensors.Keys);
        foreach (var (k, t) in tensors)
        {
            loaded[k].dtype.Should().Be(t.dtype);
            loaded[k].shape.Should().Equal(t.shape);
            loaded[k].equal(t).Should().BeTrue(k);
        }
    }

    [Fact]
    public void Save_is_atomic_and_leaves_no_temporary_files()
    {
        using var scope = torch.NewDisposeScope();
        var path = Path.Combine(dir, "model.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = torch.ones(3) });
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = torch.zeros(3) });
        Directory.GetFiles(dir).Should().Equal(path);
        Safetensors.Load(path).tensors["w"].sum().item().Should().Be(0);
    }

    [Theory]
    [InlineData("short", "shorter than its 8-byte header length")]
    [InlineData("huge-header", "exceeds the file")]
    [InlineData("not-json", "header is not JSON")]
    [InlineData("bad-offsets", "data offsets")]
    [InlineData("bad-dtype", "unsupported dtype")]
    public void Malformed_files_are_errors_naming_the_file_and_the_problem(string kind, string expected)
    {
        var path = Path.Combine(dir, kind + ".safetensors");
        byte[] Header(string json)
        {
            var j = System.Text.Encoding.UTF8.GetBytes(json);
            return BitConverter.GetBytes((ulong)j.Length).Concat(j).Concat(new byte[8]).ToArray();
        }
        File.WriteAllBytes(path, kind switch
        {
            "short" => [1, 2, 3],
            "huge-header" => BitConverter.GetBytes(1UL << 20).Concat(new byte[16]).ToArray(),
            "not-json" => Header("{nope"),
            "bad-offsets" => Header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}"),
            _ => Header("{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}"),
        });
        var act = () => Safetensors.Load(path);
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(path).And.Contain(expected);
    }

    [Fact]
    public void Model_and_optimizer_state_resume_bitwise_equal_to_an_uninterrupted_run()
    {
        (nn.Sequential model, optim.Optimizer opt, optim.lr_scheduler.LRScheduler sched) Make()
        {
            torch.manual_seed(5);
            var m = new nn.Sequential(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 2));
            var o = new optim.AdamW(m.parameters(), lr: 1e-2);
            return (m, o, new optim.lr_scheduler.CosineAnnealingLR(o, 10));
        }
        void Train((nn.Sequential m, optim.Optimizer o, optim.lr_scheduler.LRScheduler s) run, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                using var scope = torch.NewDisposeScope();
                using var g = new Generator((ulong)i);
                var x = torch.randn([16, 6], generator: g);
                var loss = run.m.forward(x).pow(2).mean();
                run.o.zero_grad();
                loss.backward();
                run.o.step();
                run.s.step();
            }
        }

        var straight = Make();
        Train(straight, 0, 8);

        var first = Make();
        Train(first, 0, 3);
        var modelPath = Path.Combine(dir, "model.safetensors");
        var optPath = Path.Combine(dir, "optimizer.safetensors");
        Safetensors.Save(modelPath, first.model.state_dict());
        var (optTensors, optMeta) = first.opt.state_dict();
        optMeta["scheduler.last_epoch"] = first.sched.last_epoch.ToString();
        Safetensors.Save(optPath, optTensors, optMeta);

        var resumed = Make();
        resumed.model.load_state_dict(Safetensors.Load(modelPath).tensors);
        var (t, meta) = Safetensors.Load(optPath);
        resumed.opt.load_state_dict(t, meta);
        resumed.sched.set_epoch(long.Parse(meta["scheduler.last_epoch"]));
        Train(resumed, 3, 8);

        var a = straight.model.state_dict();
        var b = resumed.model.state_dict();
        foreach (var k in a.Keys) a[k].equal(b[k]).Should().BeTrue($"{k} must be bitwise equal after resume");
        resumed.opt.step_count.Should().Be(straight.opt.step_count);
    }
}
