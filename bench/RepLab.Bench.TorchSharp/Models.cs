using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace RepLab.Bench.TorchSharp;

/// <summary>
/// The engine benchmark's models in TorchSharp, layer for layer those of bench/engine_pytorch.py
/// and bench/RepLab.Bench (Models.cs, the conv-small encoder and the MLP head of the plugins).
/// </summary>
public static class Models
{
    // padding: 0L, not 0: a literal 0 also converts to TorchSharp's Padding enum, and the call would be ambiguous.

    /// <summary>DCGAN generator for 28x28 single-channel images: z (N, 100, 1, 1) to (N, 1, 28, 28).</summary>
    public static Sequential DcganGenerator(long z = 100) => Sequential(
        ConvTranspose2d(z, 256, 7, stride: 1, padding: 0L, bias: false), BatchNorm2d(256), ReLU(),
        ConvTranspose2d(256, 128, 4, stride: 2, padding: 1, bias: false), BatchNorm2d(128), ReLU(),
        ConvTranspose2d(128, 1, 4, stride: 2, padding: 1), Tanh());

    /// <summary>DCGAN discriminator for 28x28 single-channel images: one logit per image, shape (N, 1, 1, 1).</summary>
    public static Sequential DcganDiscriminator() => Sequential(
        Conv2d(1, 64, 4, stride: 2, padding: 1), LeakyReLU(0.2),
        Conv2d(64, 128, 4, stride: 2, padding: 1, bias: false), BatchNorm2d(128), LeakyReLU(0.2),
        Conv2d(128, 1, 7, stride: 1, padding: 0L));

    /// <summary>RepLab's conv-small encoder for 28x28 images: three strided convs with batch norm and LeakyReLU 0.2, then linear.</summary>
    public static Sequential ConvSmall(long features = 512) => Sequential(
        Conv2d(1, 32, 4, stride: 2, padding: 1), BatchNorm2d(32), LeakyReLU(0.2),
        Conv2d(32, 64, 4, stride: 2, padding: 1), BatchNorm2d(64), LeakyReLU(0.2),
        Conv2d(64, 128, 3, stride: 2, padding: 1), BatchNorm2d(128), LeakyReLU(0.2),
        Flatten(), Linear(128 * 4 * 4, features));

    /// <summary>SimCLR's projection head (the blocks' MlpHead): linear without bias, batch norm, ReLU, linear.</summary>
    public static Sequential MlpHead(long input = 512, long hidden = 512, long output = 128) => Sequential(
        Linear(input, hidden, hasBias: false), BatchNorm1d(hidden), ReLU(), Linear(hidden, output));

    /// <summary>NT-Xent over two views' embeddings [N, D] (SimCLR, eq. 1), as RepLab.Blocks.NtXentLoss and engine_pytorch.py's nt_xent.</summary>
    public static Tensor NtXent(Tensor z1, Tensor z2, double temperature)
    {
        var n = z1.shape[0];
        var z = F.normalize(cat([z1, z2]), dim: 1);
        var logits = z.matmul(z.T).div(temperature).masked_fill(eye(2 * n, dtype: ScalarType.Bool), -1e9);
        var targets = cat([arange(n, 2 * n, dtype: ScalarType.Int64), arange(0, n, dtype: ScalarType.Int64)]);
        return F.cross_entropy(logits, targets);
    }
}

/// <summary>ResNet-18's basic block: two 3x3 convs with batch norm, a 1x1 projection shortcut when the shape changes.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
    private readonly Module<Tensor, Tensor>? shortcut;

    public BasicBlock(long inPlanes, long planes, long stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes)
            shortcut = Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var out_ = F.relu(bn1.call(conv1.call(x)));
        out_ = bn2.call(conv2.call(out_));
        return F.relu(out_ + (shortcut is null ? x : shortcut.call(x)));
    }
}

/// <summary>ResNet-18 for 32x32 CIFAR images: 3x3 stride-1 stem, no max-pool, stages [64, 128, 256, 512] x 2 blocks.</summary>
public sealed class ResNet18 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, layers, fc;

    public ResNet18(long numClasses = 10) : base(nameof(ResNet18))
    {
        conv1 = Conv2d(3, 64, 3, stride: 1, padding: 1, bias: false);
        bn1 = BatchNorm2d(64);
        var blocks = new List<Module<Tensor, Tensor>>();
        long inPlanes = 64;
        foreach (var (planes, stride) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            blocks.Add(new BasicBlock(inPlanes, planes, stride));
            blocks.Add(new BasicBlock(planes, planes, 1));
            inPlanes = planes;
        }
        layers = Sequential(blocks);
        fc = Linear(512, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var out_ = layers.call(F.relu(bn1.call(conv1.call(x))));
        return fc.call(flatten(F.adaptive_avg_pool2d(out_, 1), 1));
    }
}
