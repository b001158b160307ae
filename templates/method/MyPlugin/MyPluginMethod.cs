using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Blocks;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> method.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>Hidden width of the predictor MLP (default 64; SimSiam uses a quarter of the feature width).</summary>
    [Range(1, 65536)]
    public int PredictorHidden { get; init; } = 64;

    /// <summary>Base learning rate of SGD when the experiment names no optimizer, scaled by batch / 256 (default 0.05, SimSiam's).</summary>
    [Range(1e-6, 10.0)]
    public double Lr { get; init; } = 0.05;
}

/// <summary>
/// Two augmented views pass the encoder; a predictor maps one view's features towards the other's,
/// which get no gradient (the stop-gradient that keeps siamese networks from collapsing).
/// </summary>
[Plugin("my-plugin", Summary = "two views, a predictor and a stop-gradient", Citation = "Chen & He, CVPR 2021")]
public sealed class MyPluginMethod(MyPluginOptions options) : MethodBase
{
    private MlpHead? predictor;

    /// <summary>Two views and one optimizer group, "all", with SimSiam's SGD defaults.</summary>
    public override MethodNeeds Needs => OneGroup(
        new(OptimizerKind.Sgd, options.Lr) { Momentum = 0.9, WeightDecay = 1e-4, Scaling = LrScaling.Linear, Schedule = ScheduleKind.Cosine },
        views: 2);

    protected override void Build()
    {
        var f = Encoder.Features;
        // Every module with state is registered (Add): it is checkpointed under its name and resumes exactly.
        // The predictor: linear, batch norm, ReLU, linear (RepLab.Blocks' MlpHead, as BYOL's predictor).
        predictor = Add("predictor", new MlpHead(f, options.PredictorHidden, f, hiddenNorm: true));
        Optimize("all", Encoder, predictor);
    }

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var z1 = Encoder.forward(batch.Views[0]);
        var z2 = Encoder.forward(batch.Views[1]);
        var loss = Loss(predictor!.forward(z1), predictor.forward(z2), z1, z2);
        Minimize(Optimizers["all"], loss);
        context.LogLoss("loss/my-plugin", loss);
    }

    /// <summary>
    /// The symmetric negative cosine similarity: -(cos(p1, z2) + cos(p2, z1)) / 2 averaged over the batch,
    /// with z1 and z2 detached (SimSiam, eq. 1 and 2). It lies in [-1, 1]; -1 when predictions match.
    /// </summary>
    public static Tensor Loss(Tensor p1, Tensor p2, Tensor z1, Tensor z2) =>
        -(F.cosine_similarity(p1, z2.detach(), dim: 1).mean() + F.cosine_similarity(p2, z1.detach(), dim: 1).mean()) / 2;
}
