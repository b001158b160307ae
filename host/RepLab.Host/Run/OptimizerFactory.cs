using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// Builds a method's optimizers from <c>optimizers: { group: ... }</c>, else <c>optimizer:</c>,
/// else the method's paper defaults; attaches the configured LR schedule (stepped per epoch).
/// </summary>
internal sealed class OptimizerFactory(ExperimentSpec spec) : IOptimizerFactory
{
    private readonly List<optim.lr_scheduler.LRScheduler> schedules = [];

    public IReadOnlyList<optim.lr_scheduler.LRScheduler> Schedules => schedules;

    public optim.Optimizer Create(string group, IEnumerable<Tensor> parameters, OptimizerDefaults defaults)
    {
        var o = spec.Optimizers.GetValueOrDefault(group) ?? spec.Optimizer ?? new OptimizerOptions();
        var plugin = string.IsNullOrEmpty(o.Plugin) ? defaults.Plugin : o.Plugin;
        var lr = o.Lr ?? defaults.Lr;
        var wd = o.WeightDecay ?? defaults.WeightDecay;
        var momentum = o.Momentum ?? defaults.Momentum;
        var (b1, b2) = o.Betas is { Length: 2 } b ? (b[0], b[1]) : (defaults.Beta1, defaults.Beta2);
        var ps = parameters.ToList();
        optim.Optimizer opt = plugin switch
        {
            "sgd" => new optim.SGD(ps, lr, momentum: momentum, weight_decay: wd),
            "adam" => new optim.Adam(ps, lr, b1, b2, weight_decay: wd),
            "adamw" => new optim.AdamW(ps, lr, b1, b2, weight_decay: wd),
            "lars" => new optim.LARS(ps, lr, momentum: momentum, weight_decay: wd),
            _ => throw new ArgumentException($"optimizer '{plugin}' for group '{group}' is not one of sgd, adam, adamw, lars"),
        };
        var epochs = Math.Max(spec.Trainer.Epochs, 1);
        switch (o.Schedule)
        {
            case "none": break;
            case "cosine": schedules.Add(new optim.lr_scheduler.CosineAnnealingLR(opt, epochs)); break;
            case "warmup-cosine": schedules.Add(new optim.lr_scheduler.WarmupCosineLR(opt, o.WarmupEpochs, epochs)); break;
            default: throw new ArgumentException($"schedule '{o.Schedule}' is not one of none, cosine, warmup-cosine");
        }
        return opt;
    }
}
