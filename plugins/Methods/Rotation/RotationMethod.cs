using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Plugins.Methods.Common;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Rotation;

/// <summary>Options of the <c>rotation</c> method.</summary>
public sealed record RotationOptions : PluginOptions
{
    /// <summary>Hidden width of the rotation classifier (0: a linear classifier on the features).</summary>
    [Range(0, 65536)]
    public int HiddenDim { get; init; } = 0;

    /// <summary>Dropout before the classifier's last layer (0 for none).</summary>
    [Range(0.0, 0.99)]
    public double Dropout { get; init; } = 0;

    /// <summary>SGD lr (RotNet's 0.1 with momentum 0.9, weight decay 5e-4).</summary>
    [Range(1e-8, 100.0)]
    public double Lr { get; init; } = 0.1;

    /// <summary>Weight decay (RotNet's 5e-4).</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 5e-4;
}

/// <summary>
/// RotNet (Gidaris, Singh &amp; Komodakis, "Unsupervised Representation Learning by Predicting Image
/// Rotations", ICLR 2018): every image of the batch is shown in all four rotations (0, 90, 180 and
/// 270 degrees, as the paper found best), and a classifier on the encoder's features predicts
/// which rotation it sees. The images are the batch's first augmented view when the experiment
/// lists <c>views:</c>, else the un-augmented batch. The representation is the encoder's output.
/// </summary>
[Plugin("rotation", Summary = "RotNet: predict which of four rotations an image shows", Citation = "Gidaris et al., ICLR 2018")]
public sealed class RotationMethod(RotationOptions options) : MethodBase
{
    private nn.Sequential? classifier;

    public override MethodNeeds Needs => OneGroup(OptimizerPresets.SgdCosine(options.Lr, options.WeightDecay));

    protected override void Build()
    {
        classifier = Add("classifier", ClassifierHead.Create(Encoder.Features, options.HiddenDim, 4, options.Dropout));
        Optimize("all", Encoder, classifier);
    }

    /// <summary>The four rotations of every image of <paramref name="x"/> [N, C, H, W]: [4N, C, H, W] (all quarter turns k of image 0..N-1, for k = 0..3) and their labels k.</summary>
    public static (Tensor Images, Tensor Labels) AllRotations(Tensor x)
    {
        if (x.dim() != 4 || x.size(2) != x.size(3)) throw new ArgumentException($"rotation needs a batch of square images, got [{string.Join(", ", x.shape)}]");
        var n = x.size(0);
        using var scope = torch.NewDisposeScope();
        var images = torch.cat([x, x.rot90(1, 2, 3), x.rot90(2, 2, 3), x.rot90(3, 2, 3)]);
        var labels = torch.arange(4, dtype: ScalarType.Int64, device: x.device).unsqueeze(1).expand(4, n).reshape(4 * n);
        return (images.MoveToOuterScope(), labels.MoveToOuterScope());
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var (images, labels) = AllRotations(batch.Views.Count > 0 ? batch.Views[0] : batch.Original);
        PretextTask.Train(Optimizers["all"], classifier!.forward(Encoder.forward(images)), labels, context, "rotation");
    }
}
