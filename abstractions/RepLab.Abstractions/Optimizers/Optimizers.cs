using System.ComponentModel.DataAnnotations;
using System.Runtime.Serialization;
using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>The optimizers an experiment can name (<c>optimizer: { plugin: adam }</c>).</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum and L2 weight decay.</summary>
    Sgd,

    /// <summary>Adam (Kingma &amp; Ba, 2015) with L2 weight decay.</summary>
    Adam,

    /// <summary>AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter, 2019).</summary>
    Adamw,

    /// <summary>LARS (You et al., 2017): SGD with a per-layer trust ratio, SimCLR's and BYOL's optimizer.</summary>
    Lars,
}

/// <summary>Learning-rate schedules, stepped once per optimizer step in closed form from the optimizer's step count.</summary>
public enum ScheduleKind
{
    /// <summary>The base learning rate throughout.</summary>
    Constant,

    /// <summary>Cosine annealing from the base lr to min-lr over the whole run (Loshchilov &amp; Hutter, 2017).</summary>
    Cosine,

    /// <summary>Linear warm-up from warmup-start-factor x lr over warmup-epochs, then cosine annealing to min-lr: SimCLR's, BYOL's and MoCo v3's schedule.</summary>
    WarmupCosine,

    /// <summary>The lr multiplied by gamma every step-epochs epochs.</summary>
    Step,
}

/// <summary>How the base learning rate scales with the batch size (Goyal et al., 2017; SimCLR's appendix B.1).</summary>
public enum LrScaling
{
    /// <summary>The lr as given.</summary>
    None,

    /// <summary>lr x batch-size / 256.</summary>
    Linear,

    /// <summary>lr x sqrt(batch-size / 256).</summary>
    Sqrt,
}

/// <summary>
/// The settings of one optimizer group, declared once: a method gives its paper defaults with this
/// record, the experiment's <c>optimizer:</c> or <c>optimizers: { group: ... }</c> overrides any of them
/// by these properties' YAML names (kebab-case, <c>plugin</c> for the kind), checked by their
/// attributes, and the run tags the resolved record.
/// </summary>
/// <param name="Kind">The optimizer (YAML <c>plugin</c>): sgd, adam, adamw or lars.</param>
/// <param name="Lr">Base learning rate (before batch-size scaling).</param>
public sealed record OptimizerDefaults(
    [property: DataMember(Name = "plugin")] OptimizerKind Kind,
    [property: Range(0.0, 100.0)] double Lr) : IValidatableObject
{
    /// <summary>Weight decay (L2 for sgd, adam, lars; decoupled for adamw).</summary>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; init; }

    /// <summary>Adam's beta1.</summary>
    [IgnoreDataMember]
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's beta2.</summary>
    [IgnoreDataMember]
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's beta1 and beta2, both in [0, 1) (the YAML form of <see cref="Beta1"/> and <see cref="Beta2"/>).</summary>
    public double[] Betas
    {
        get => [Beta1, Beta2];
        init
        {
            if (value is [var beta1, var beta2]) (Beta1, Beta2) = (beta1, beta2);
            else invalidBetas = value;
        }
    }

    private readonly double[]? invalidBetas;

    /// <summary>Momentum of sgd and lars.</summary>
    [Range(0.0, 1.0)]
    public double Momentum { get; init; } = 0.9;

    /// <summary>LARS's trust coefficient eta.</summary>
    [Range(0.0, 1.0)]
    public double Eta { get; init; } = 0.001;

    /// <summary>How the lr scales with the batch size: none, linear (x batch/256) or sqrt.</summary>
    [DataMember(Name = "lr-scaling")]
    public LrScaling Scaling { get; init; } = LrScaling.None;

    /// <summary>The learning-rate schedule, stepped per optimizer step: constant, cosine, warmup-cosine or step.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Warm-up length of warmup-cosine, in epochs (fractions allowed; converted to optimizer steps).</summary>
    [Range(0.0, 100_000.0)]
    public double WarmupEpochs { get; init; }

    /// <summary>The warm-up's first lr as a fraction of the base lr.</summary>
    [Range(0.0, 1.0)]
    public double WarmupStartFactor { get; init; } = 1e-3;

    /// <summary>The lr the cosine schedules end at.</summary>
    [Range(0.0, 100.0)]
    public double MinLr { get; init; }

    /// <summary>Epochs between the step schedule's multiplications by <see cref="Gamma"/>.</summary>
    [Range(1e-6, 100_000.0)]
    public double StepEpochs { get; init; } = 30;

    /// <summary>The step schedule's factor.</summary>
    [Range(0.0, 1.0)]
    public double Gamma { get; init; } = 0.1;

    /// <summary>
    /// Leave biases and normalisation parameters (every parameter of one dimension or less) out of
    /// weight decay and LARS's adaptation, as SimCLR, BYOL and MoCo v3 do.
    /// </summary>
    public bool ExcludeBiasAndNorm { get; init; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var betas = invalidBetas ?? Betas;
        if (invalidBetas is not null || betas.Any(b => !(b >= 0 && b < 1)))
            yield return new ValidationResult($"betas needs two values in [0, 1), got [{string.Join(", ", betas)}]", [nameof(Betas)]);
    }
}

/// <summary>
/// Builds the optimizer of one of the method's declared groups (<see cref="MethodNeeds.OptimizerGroups"/>)
/// from the experiment's settings and the group's defaults, with its schedule attached: the lr
/// follows the schedule at every <c>step()</c>, from the optimizer's own step count, so a resumed
/// run continues the schedule exactly.
/// </summary>
public interface IOptimizerFactory
{
    /// <summary>
    /// An optimizer for group <paramref name="group"/> over <paramref name="parameters"/>. Each
    /// <see cref="optim.ParamGroup"/> may carry <c>lr_scale</c> (its lr is the group's lr times it:
    /// a fine-tuned encoder's smaller lr beside its head's) and <c>weight_decay</c>.
    /// </summary>
    optim.Optimizer Create(string group, IEnumerable<optim.ParamGroup> parameters);
}

/// <summary>Convenience overloads of <see cref="IOptimizerFactory"/>.</summary>
public static class OptimizerFactoryExtensions
{
    /// <summary>An optimizer for group <paramref name="group"/> over the parameters of <paramref name="modules"/>.</summary>
    public static optim.Optimizer Create(this IOptimizerFactory factory, string group, params IEnumerable<Module> modules) =>
        factory.Create(group, [new optim.ParamGroup(modules.SelectMany(m => m.parameters()))]);

    /// <summary>An optimizer for group <paramref name="group"/> over <paramref name="parameters"/>.</summary>
    public static optim.Optimizer Create(this IOptimizerFactory factory, string group, IEnumerable<Tensor> parameters) =>
        factory.Create(group, [new optim.ParamGroup(parameters)]);
}
