using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Encoders.Resnet18Cifar;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Encoders.Resnet18Cifar;

/// <summary>The resnet18-cifar encoder against PyTorch (goldens/encoders.safetensors, make_encoder_goldens.py), at width 4 to keep the golden small.</summary>
public class Resnet18CifarTests
{
    [Fact]
    public void Stage_maps_and_features_match_pytorch_in_eval_and_train_mode()
    {
        using var scope = torch.NewDisposeScope();
        var (golden, _) = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "goldens", "encoders.safetensors"));
        var encoder = new Resnet18CifarNetwork(new ImageShape(3, 32, 32), 4);
        encoder.Stages.Select(s => s.Name).Should().Equal("stem", "layer1", "layer2", "layer3", "layer4");
        encoder.Features.Should().Be(32);
        encoder.load_state_dict(golden.Where(kv => kv.Key.StartsWith("resnet18.state.")).ToDictionary(kv => kv.Key["resnet18.state.".Length..], kv => kv.Value));
        var x = golden["resnet18.input"];
        foreach (var mode in new[] { "eval", "train" })
        {
            encoder.train(mode == "train");
            using var ng = torch.no_grad();
            var maps = encoder.FeatureMaps(x);
            for (var i = 0; i < maps.Count; i++)
                maps[i].allclose(golden[$"resnet18.{mode}.map{i}"], rtol: 1e-4, atol: 1e-5).Should().BeTrue($"{mode} map {i}");
            // One pass per mode, as in PyTorch: features from the maps in train mode.
            var features = mode == "eval" ? encoder.forward(x) : maps[^1].mean([2, 3]);
            features.allclose(golden[$"resnet18.{mode}.features"], rtol: 1e-4, atol: 1e-5).Should().BeTrue($"{mode} features");
        }
        foreach (var (k, t) in golden.Where(kv => kv.Key.StartsWith("resnet18.after-train.")))
            encoder.state_dict()[k["resnet18.after-train.".Length..]].allclose(t, rtol: 1e-4, atol: 1e-6).Should().BeTrue(k);
    }

    [Fact]
    public void The_full_width_network_has_resnet18s_parameters_and_512_features()
    {
        using var scope = torch.NewDisposeScope();
        var encoder = new Resnet18CifarNetwork(new ImageShape(3, 32, 32), 64);
        encoder.Features.Should().Be(512);
        // torchvision's resnet18 has 11,689,512 parameters with its 7x7 stem (9,408) and 1000-class fc (513,000);
        // the CIFAR stem is 3x3 (1,728) and there is no fc: 11,689,512 - 9,408 + 1,728 - 513,000.
        encoder.parameter_count().Should().Be(11_168_832);
        encoder.state_dict().Keys.Should().Contain(["conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.running_var"]);
    }
}
