using Xunit;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// Three steps of every optimizer from the same parameters and gradients as PyTorch
/// (goldens/optim.safetensors), and clip_grad_norm_. PyTorch has no LARS: the script
/// implements optim.LARS's documented SimCLR formulation.
/// </summary>
public class OptimizerGoldenTests
{
    private const string File = "optim.safetensors";

    private static optim.ParamGroup Group(IEnumerable<Tensor> ps, params (string key, double value)[] options) =>
        new(ps, options.ToDictionary(o => o.key, o => o.value));

    private static readonly Dictionary<string, Func<List<Tensor>, optim.Optimizer>> Optimizers = new()
    {
        ["sgd_plain"] = ps => new optim.SGD(ps, lr: 0.1),
        ["sgd_momentum_nesterov_wd"] = ps => new optim.SGD(ps, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-2),
        ["sgd_momentum_dampening_wd"] = ps => new optim.SGD(ps, lr: 0.05, momentum: 0.8, dampening: 0.1, weight_decay: 1e-3),
        ["adam"] = ps => new optim.Adam(ps, lr: 1e-2),
        ["adam_betas_eps"] = ps => new optim.Adam(ps, lr: 3e-2, beta1: 0.5, beta2: 0.9, eps: 1e-3),
        ["adam_amsgrad_wd"] = ps => new optim.Adam(ps, lr: 1e-2, amsgrad: true, weight_decay: 1e-2),
        ["adamw"] = ps => new optim.AdamW(ps, lr: 1e-2, weight_decay: 0.1),
        ["adamw_amsgrad"] = ps => new optim.AdamW(ps, lr: 1e-2, weight_decay: 1e-2, amsgrad: true),
        ["lars"] = ps => new optim.LARS(ps, lr: 0.5, momentum: 0.9, weight_decay: 1e-4, eta: 0.02),
        ["lars_no_exclude"] = ps => new optim.LARS(ps, lr: 0.5, momentum: 0.9, weight_decay: 1e-4, eta: 0.02, exclude_1d: false),
        ["sgd_groups"] = ps => new optim.SGD([Group(ps.Take(2)), Group(ps.Skip(2), ("lr", 0.01), ("weight_decay", 0.1))], lr: 0.1, momentum: 0.9),
        ["adam_groups"] = ps => new optim.Adam([Group(ps.Take(2)), Group(ps.Skip(2), ("lr", 1e-3))], lr: 1e-2),
        ["lars_groups"] = ps => new optim.LARS([Group(ps.Take(2)), Group(ps.Skip(2), ("lr", 0.05))], lr: 0.5, eta: 0.02, weight_decay: 1e-4),
    };

    public static IEnumerable<object[]> Cases() => Optimizers.Keys.Select(k => new object[] { k });

    private static List<Tensor> Params(Golden g) =>
        Enumerable.Range(0, 3).Select(i => g[$"init.{i}"].clone().requires_grad_()).ToList();

    [Fact]
    public void Every_golden_case_has_an_optimizer_here_and_the_other_way_round()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        Check.SameNames(Optimizers.Keys.Concat(["clip_0.5", "clip_100", "clip_l1_2"]), g.Cases(), "optimizer cases");
    }

    /// <summary>
    /// 1e-6 relative, 1e-7 absolute: each step is a few elementwise float32 operations with the
    /// same kernels in the same order (bitwise equal with this machine's libtorch); LARS's and
    /// clip_grad_norm_'s norms are reductions whose order may change with the thread count.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Three_steps_match_pytorch(string name)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        var ps = Params(g);
        using var opt = Optimizers[name](ps);
        for (var k = 0; k < 3; k++)
        {
            for (var i = 0; i < ps.Count; i++) ps[i].grad = g[$"grad.step{k}.{i}"].clone();
            opt.step();
            for (var i = 0; i < ps.Count; i++)
                Check.Close(ps[i], g[$"{name}/step{k}.{i}"], 1e-6, 1e-7, $"{name}: parameter {i} after step {k + 1}");
        }
    }

    [Theory]
    [InlineData("clip_0.5", 0.5, 2.0)]
    [InlineData("clip_100", 100.0, 2.0)]
    [InlineData("clip_l1_2", 2.0, 1.0)]
    public void Clip_grad_norm_matches_pytorch(string name, double maxNorm, double normType)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        var ps = Params(g);
        for (var i = 0; i < ps.Count; i++) ps[i].grad = g[$"grad.step0.{i}"].clone();
        var total = optim.clip_grad_norm_(ps, maxNorm, normType);
        var expected = g[$"{name}/total_norm"].item();
        Assert.True(Math.Abs(total - expected) <= 1e-6 * Math.Abs(expected), $"{name}: total norm {total:R}, PyTorch {expected:R}");
        for (var i = 0; i < ps.Count; i++) Check.Close(ps[i].grad, g[$"{name}/grad.{i}"], 1e-6, 1e-7, $"{name}: gradient {i}");
    }
}
