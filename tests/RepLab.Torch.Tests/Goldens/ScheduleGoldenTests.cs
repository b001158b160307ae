using Xunit;
using Xunit.Sdk;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// LR schedules against PyTorch's (goldens/schedules.safetensors): the lr of every group at
/// each of 20 epochs. The warm-up + cosine golden is PyTorch's
/// SequentialLR(LinearLR(start_factor, total_iters=warmup), CosineAnnealingLR(T_max=total-warmup), milestones=[warmup]).
/// </summary>
public class ScheduleGoldenTests
{
    private const string File = "schedules.safetensors";

    private static readonly Dictionary<string, (double[] lrs, Func<optim.Optimizer, optim.lr_scheduler.LRScheduler> make)> Schedules = new()
    {
        ["steplr"] = ([0.1], o => new optim.lr_scheduler.StepLR(o, step_size: 3, gamma: 0.5)),
        ["steplr_groups"] = ([0.1, 0.02], o => new optim.lr_scheduler.StepLR(o, step_size: 7, gamma: 0.1)),
        ["cosine"] = ([0.1], o => new optim.lr_scheduler.CosineAnnealingLR(o, T_max: 20)),
        ["cosine_eta_min"] = ([0.3, 0.05], o => new optim.lr_scheduler.CosineAnnealingLR(o, T_max: 12, eta_min: 1e-3)),
        ["warmup_cosine"] = ([0.4], o => new optim.lr_scheduler.WarmupCosineLR(o, warmup: 5, total: 20, start_factor: 1e-3)),
        ["warmup_cosine_sf0.1"] = ([0.4, 0.1], o => new optim.lr_scheduler.WarmupCosineLR(o, warmup: 3, total: 20, start_factor: 0.1)),
    };

    public static IEnumerable<object[]> Cases() => Schedules.Keys.Select(k => new object[] { k });

    [Fact]
    public void Every_golden_schedule_is_tested_here_and_the_other_way_round()
    {
        using var scope = torch.NewDisposeScope();
        Check.SameNames(Schedules.Keys, new Golden(File).Tensors.Keys, "schedules");
    }

    /// <summary>1e-9 relative: PyTorch updates the lr recursively (epoch by epoch), ours in closed form; both in double.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Lr_per_epoch_matches_pytorch(string name)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        var expected = g[name];
        var (epochs, groups) = (expected.size(0), expected.size(1));
        var e = expected.data<double>();
        var (lrs, make) = Schedules[name];
        Assert.Equal(groups, lrs.Length);
        var ps = lrs.Select(_ => torch.zeros(1).requires_grad_()).ToList();
        using var opt = new optim.SGD(ps.Zip(lrs, (p, lr) => new optim.ParamGroup([p], new Dictionary<string, double> { ["lr"] = lr })), lr: lrs[0]);
        var sched = make(opt);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            var got = sched.get_last_lr();
            for (var j = 0; j < groups; j++)
            {
                var want = e[epoch * groups + j];
                if (Math.Abs(got[j] - want) > 1e-9 * Math.Abs(want))
                    throw new XunitException($"{name}: epoch {epoch}, group {j}: lr {got[j]:R}, PyTorch {want:R}");
            }
            sched.step();
        }
    }
}
