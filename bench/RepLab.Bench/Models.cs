using RepLab.Plugins.Encoders.Resnet18Cifar;
using RepLab.Torch;

namespace RepLab.Bench;

/// <summary>The benchmark's models, written as method code would write them (same layers as bench/engine_pytorch.py).</summary>
public static class Models
{
    /// <summary>DCGAN generator for 28x28 single-channel images: z (N, 100, 1, 1) to (N, 1, 28, 28).</summary>
    public static nn.Sequential DcganGenerator(long z = 100) => new(
        new nn.ConvTranspose2d(z, 256, 7, stride: 1, padding: 0, bias: false), new nn.BatchNorm2d(256), new nn.ReLU(),
        new nn.ConvTranspose2d(256, 128, 4, stride: 2, padding: 1, bias: false), new nn.BatchNorm2d(128), new nn.ReLU(),
        new nn.ConvTranspose2d(128, 1, 4, stride: 2, padding: 1), new nn.Tanh());

    /// <summary>DCGAN discriminator for 28x28 single-channel images: one logit per image, shape (N, 1, 1, 1).</summary>
    public static nn.Sequential DcganDiscriminator() => new(
        new nn.Conv2d(1, 64, 4, stride: 2, padding: 1), new nn.LeakyReLU(0.2),
        new nn.Conv2d(64, 128, 4, stride: 2, padding: 1, bias: false), new nn.BatchNorm2d(128), new nn.LeakyReLU(0.2),
        new nn.Conv2d(128, 1, 7, stride: 1, padding: 0));
}

/// <summary>ResNet-18 for 32x32 CIFAR images: 3x3 stride-1 stem, no max-pool, stages [64, 128, 256, 512] x 2 blocks.</summary>
public sealed class ResNet18 : Module
{
    private readonly nn.Conv2d conv1;
    private readonly nn.BatchNorm2d bn1;
    private readonly nn.Sequential layers;
    private readonly nn.Linear fc;

    public ResNet18(long numClasses = 10)
    {
        conv1 = register_module("conv1", new nn.Conv2d(3, 64, 3, stride: 1, padding: 1, bias: false));
        bn1 = register_module("bn1", new nn.BatchNorm2d(64));
        layers = register_module("layers", new nn.Sequential());
        long inPlanes = 64;
        foreach (var (planes, stride) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            layers.append(new BasicBlock(inPlanes, planes, stride));
            layers.append(new BasicBlock(planes, planes, 1));
            inPlanes = planes;
        }
        fc = register_module("fc", new nn.Linear(512, numClasses));
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv1.forward(x);
        using var c = bn1.forward(a, NormActivation.ReLU);
        using var d = layers.forward(c);
        using var e = F.adaptive_avg_pool2d(d, 1);
        using var f = e.flatten(1);
        return fc.forward(f);
    }
}
