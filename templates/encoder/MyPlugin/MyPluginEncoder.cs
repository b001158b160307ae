using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> encoder.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>Feature dimension F of the output (default 64).</summary>
    [Range(1, 65536)]
    public int Features { get; init; } = 64;

    /// <summary>Channels of the first conv; the second has twice as many (default 16).</summary>
    [Range(1, 1024)]
    public int Width { get; init; } = 16;
}

/// <summary>Two 3x3 conv blocks (conv, batch norm, ReLU, 2x2 max-pool), global average pooling and a linear layer to F features.</summary>
[Plugin("my-plugin", Summary = "two conv blocks, global average pooling, linear")]
public sealed class MyPluginEncoder(MyPluginOptions options) : IEncoder
{
    public EncoderModule Build(ImageShape input) => new MyPluginNetwork(input.Channels, options);
}

/// <summary>The network; its stages (block1, block2) expose their maps to methods that read them.</summary>
public sealed class MyPluginNetwork : EncoderModule
{
    private readonly nn.Sequential block1, block2;
    private readonly nn.Linear head;

    public MyPluginNetwork(long channels, MyPluginOptions options)
    {
        long w = options.Width;
        block1 = register_module("block1", new nn.Sequential(new nn.Conv2d(channels, w, 3, padding: 1), new nn.BatchNorm2d(w), new nn.ReLU(), new nn.MaxPool2d(2)));
        block2 = register_module("block2", new nn.Sequential(new nn.Conv2d(w, 2 * w, 3, padding: 1), new nn.BatchNorm2d(2 * w), new nn.ReLU(), new nn.MaxPool2d(2)));
        head = register_module("head", new nn.Linear(2 * w, options.Features));
        Features = options.Features;
        Stages = [new("block1", block1, (int)w), new("block2", block2, (int)(2 * w))];
    }

    public override int Features { get; }

    public override IReadOnlyList<EncoderStage> Stages { get; }

    public override Tensor forward(Tensor input)
    {
        using var maps = block2.forward(block1.forward(input));
        using var pooled = maps.mean([2, 3]);
        return head.forward(pooled);
    }
}
