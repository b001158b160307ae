using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Experiment;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// Builds a method's optimizers for its declared groups from <c>optimizers: { group: ... }</c>,
/// else <c>optimizer:</c>, over the group's paper defaults; splits off biases and normalisation
/// parameters when asked; attaches the schedule, counted in the optimizer's own steps.
/// </summary>
/// <param name="at">Where the experiment names the method: a group the method creates without declaring it is refused there.</param>
public sealed class OptimizerFactory(string method, MethodNeeds needs, OptimizerOverrides overrides, TrainingPlan plan, SourceLocation? at = null)
    : IOptimizerFactory
{
    /// <summary>The factory of <paramref name="spec"/>'s method.</summary>
    public OptimizerFactory(ExperimentSpec spec, TrainingPlan plan)
        : this(spec.Method?.Descriptor.Name ?? "", spec.Needs ?? new MethodNeeds(), spec.Optimizers, plan, spec.MethodLocation) { }

    /// <summary>A factory giving every group its declared defaults (tests and benchmarks that build a method by hand).</summary>
    public static OptimizerFactory Defaults(string method, MethodNeeds needs, TrainingPlan plan) => new(method, needs, OptimizerOverrides.None, plan);

    /// <summary>The reference batch size of lr scaling (Goyal et al., 2017).</summary>
    private const double ReferenceBatch = 256;

    private readonly Dictionary<string, OptimizerDefaults> settings = [];

    /// <summary>The settings each group was created with (lr after batch-size scaling), by name: tagged on the run.</summary>
    public IReadOnlyDictionary<string, OptimizerDefaults> Settings => settings;

    /// <summary>The resolved settings of <paramref name="group"/>.</summary>
    private OptimizerDefaults SettingsOf(string group)
    {
        var declared = needs.OptimizerGroups;
        if (!declared.TryGetValue(group, out var defaults))
            // The plugin's mistake, not the user's, but one the user meets: a located message (exit 2) naming the plugin, not an internal error.
            throw ConfigException.At(at ?? SourceLocation.Unknown, "method",
                $"method '{method}' created optimizer group '{group}' without declaring it in Needs.OptimizerGroups " +
                $"(declared: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Keys))}): the plugin must declare every group it creates");
        return overrides.For(group, defaults);
    }

    public optim.Optimizer Create(string group, IEnumerable<optim.ParamGroup> parameters)
    {
        var s = SettingsOf(group);
        var lr = s.Lr * s.Scaling switch
        {
            LrScaling.Linear => plan.BatchSize / ReferenceBatch,
            LrScaling.Sqrt => Math.Sqrt(plan.BatchSize / ReferenceBatch),
            _ => 1,
        };
        var groups = new List<optim.ParamGroup>();
        foreach (var g in parameters)
        {
            var scale = g.Options.Remove("lr_scale", out var v) ? v : 1;
            var parts = s.ExcludeBiasAndNorm
                ? [(g.Params.Where(p => p.dim() > 1).ToList(), false), (g.Params.Where(p => p.dim() <= 1).ToList(), true)]
                : new[] { (g.Params, false) };
            foreach (var (ps, excluded) in parts)
            {
                if (ps.Count == 0) continue;
                var part = new optim.ParamGroup(ps, g.Options);
                part.lr = lr * scale;
                if (excluded) part.Options["weight_decay"] = 0;
                if (s.Kind == OptimizerKind.Lars) part.Options["exclude_1d"] = excluded ? 1 : 0;
                groups.Add(part);
            }
        }
        optim.Optimizer opt = s.Kind switch
        {
            OptimizerKind.Sgd => new optim.SGD(groups, lr, momentum: s.Momentum, weight_decay: s.WeightDecay),
            OptimizerKind.Adam => new optim.Adam(groups, lr, s.Beta1, s.Beta2, weight_decay: s.WeightDecay),
            OptimizerKind.Adamw => new optim.AdamW(groups, lr, s.Beta1, s.Beta2, weight_decay: s.WeightDecay),
            OptimizerKind.Lars => new optim.LARS(groups, lr, momentum: s.Momentum, weight_decay: s.WeightDecay, eta: s.Eta, exclude_1d: false),
            _ => throw new ArgumentOutOfRangeException(nameof(group), s.Kind, "unknown optimizer"),
        };
        opt.per_step_schedule = Schedule(opt, s, plan);
        settings[group] = s with { Lr = lr };
        return opt;
    }

    /// <summary>The closed-form schedule of <paramref name="s"/> over the plan, counted in optimizer steps (one per training step).</summary>
    internal static optim.lr_scheduler.LRScheduler? Schedule(optim.Optimizer opt, OptimizerDefaults s, TrainingPlan plan)
    {
        long Steps(double epochs) => (long)Math.Round(epochs * plan.StepsPerEpoch);
        var total = Math.Max(plan.TotalSteps, 1);
        return s.Schedule switch
        {
            ScheduleKind.Constant => null,
            ScheduleKind.Cosine => new optim.lr_scheduler.CosineAnnealingLR(opt, total, s.MinLr),
            ScheduleKind.WarmupCosine => new optim.lr_scheduler.WarmupCosineLR(opt, Math.Min(Steps(s.WarmupEpochs), total), total, s.WarmupStartFactor, s.MinLr),
            ScheduleKind.Step => new optim.lr_scheduler.StepLR(opt, Math.Max(Steps(s.StepEpochs), 1), s.Gamma),
            _ => throw new ArgumentOutOfRangeException(nameof(s), s.Schedule, "unknown schedule"),
        };
    }
}
