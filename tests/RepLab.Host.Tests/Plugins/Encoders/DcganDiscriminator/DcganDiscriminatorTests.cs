using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Encoders.DcganDiscriminator;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Encoders.DcganDiscriminator;

/// <summary>The dcgan-discriminator encoder against PyTorch (goldens/encoders.safetensors, make_encoder_goldens.py): same weights, same maps and features.</summary>
public class DcganDiscriminatorTests
{
    public static TheoryData<string, int, int, int, int> Cases => new()
    {
        { "dcgan28", 1, 28, 8, 3 },
        { "dcgan32rgb", 3, 32, 4, 3 },
        { "dcgan64", 1, 64, 2, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Maps_and_pooled_features_match_pytorch_in_train_and_eval_mode(string name, int channels, int side, int width, int blocks)
    {
        using var scope = torch.NewDisposeScope();
        var (golden, _) = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "goldens", "encoders.safetensors"));
        var encoder = new DcganDiscriminatorNetwork(new ImageShape(channels, side, side), new DcganDiscriminatorOptions { Width = width });
        encoder.Stages.Should().HaveCount(blocks);
        var prefix = $"{name}.state.";
        encoder.load_state_dict(golden.Where(kv => kv.Key.StartsWith(prefix)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
        var x = golden[$"{name}.input"];
        encoder.Features.Should().Be((int)golden[$"{name}.train.features"].size(1));
        foreach (var mode in new[] { "eval", "train" })
        {
            encoder.train(mode == "train");
            using var ng = torch.no_grad();
            var maps = encoder.FeatureMaps(x);
            for (var i = 0; i < blocks; i++)
                maps[i].allclose(golden[$"{name}.{mode}.map{i}"], rtol: 1e-4, atol: 1e-5).Should().BeTrue($"{name} {mode} map {i}");
            // One pass per mode, as in PyTorch: a second train-mode pass would move the running statistics again.
            var features = mode == "eval" ? encoder.forward(x) : PooledFeatureMaps.Pool(maps, 4);
            features.allclose(golden[$"{name}.{mode}.features"], rtol: 1e-4, atol: 1e-5).Should().BeTrue($"{name} {mode} features");
        }
        // The train-mode pass moved the running statistics as PyTorch's did.
        foreach (var (k, t) in golden.Where(kv => kv.Key.StartsWith($"{name}.after-train.")))
            encoder.state_dict()[k[$"{name}.after-train.".Length..]].allclose(t, rtol: 1e-4, atol: 1e-6).Should().BeTrue(k);
    }

    [Fact]
    public void Weights_start_from_the_papers_normal_distributions()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var encoder = new DcganDiscriminatorNetwork(new ImageShape(1, 64, 64), new DcganDiscriminatorOptions());
        var state = encoder.state_dict();
        var conv = state["blocks.2.0.weight"];
        conv.std().item().Should().BeApproximately(0.02, 0.001, "conv weights ~ N(0, 0.02)");
        conv.mean().item().Should().BeApproximately(0, 0.001);
        state["blocks.2.1.weight"].mean().item().Should().BeApproximately(1, 0.01, "batch-norm scales ~ N(1, 0.02)");
        state["blocks.2.1.bias"].abs().max().item().Should().Be(0);
        state.Keys.Should().NotContain(k => k.EndsWith("0.bias"), "convolutions have no bias");
    }
}
