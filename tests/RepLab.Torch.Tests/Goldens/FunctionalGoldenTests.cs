using Xunit;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// Functional ops and every loss against PyTorch (goldens/functional.safetensors): output, and
/// the gradients of (output * lossw).sum() with respect to the inputs PyTorch recorded.
/// </summary>
public class FunctionalGoldenTests
{
    private const string File = "functional.safetensors";

    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = Build();

    private static Dictionary<string, Func<Tensor[], Tensor>> Build()
    {
        var w = new Dictionary<string, Func<Tensor[], Tensor>>
        {
            ["interp_nearest_size"] = x => F.interpolate(x[0], size: [7, 3]),
            ["interp_nearest_x2"] = x => F.interpolate(x[0], scale_factor: 2.0),
            ["interp_bilinear_x1.5"] = x => F.interpolate(x[0], scale_factor: 1.5, mode: "bilinear"),
            ["interp_bilinear_size"] = x => F.interpolate(x[0], size: [3, 8], mode: "bilinear"),
            ["interp_bilinear_size_ac"] = x => F.interpolate(x[0], size: [6, 9], mode: "bilinear", align_corners: true),
            ["interp_bicubic_size"] = x => F.interpolate(x[0], size: [6, 9], mode: "bicubic"),
            ["interp_bilinear_aa_down"] = x => F.interpolate(x[0], size: [4, 3], mode: "bilinear", antialias: true),
            ["interp_bilinear_aa_x0.4"] = x => F.interpolate(x[0], scale_factor: 0.4, mode: "bilinear", antialias: true),
            ["interp_bicubic_aa_down"] = x => F.interpolate(x[0], size: [5, 4], mode: "bicubic", antialias: true),
            ["interp_bilinear_aa_up"] = x => F.interpolate(x[0], size: [12, 13], mode: "bilinear", antialias: true),
            ["affine_grid"] = x => F.affine_grid(x[0], [2, 3, 5, 6]),
            ["affine_grid_ac"] = x => F.affine_grid(x[0], [2, 3, 5, 6], align_corners: true),
            ["pad_constant"] = x => F.pad(x[0], [1, 2, 0, 1], "constant", 0.5),
            ["pad_reflect"] = x => F.pad(x[0], [2, 1, 1, 2], "reflect"),
            ["pad_replicate"] = x => F.pad(x[0], [1, 1, 2, 0], "replicate"),
            ["pad_reflect_1d"] = x => F.pad(x[0], [2, 3], "reflect"),
            ["pad_replicate_1d"] = x => F.pad(x[0], [3, 1], "replicate"),
            ["pad_constant_1d"] = x => F.pad(x[0], [0, 2], "constant", -1),
            ["normalize_p2_dim1"] = x => F.normalize(x[0], 2, 1),
            ["normalize_p1_dimlast"] = x => F.normalize(x[0], 1, -1),
            ["normalize_dim0"] = x => F.normalize(x[0], dim: 0),
            ["cosine_similarity_dim1"] = x => F.cosine_similarity(x[0], x[1], 1),
            ["cosine_similarity_dim0"] = x => F.cosine_similarity(x[0], x[1], 0),
            ["log_softmax_dim1"] = x => F.log_softmax(x[0], 1),
            ["log_softmax_dimlast"] = x => F.log_softmax(x[0], -1),
            ["softmax_dim0"] = x => F.softmax(x[0], 0),
            ["mish"] = x => F.mish(x[0]),
            ["hardswish"] = x => F.hardswish(x[0]),
            ["hardtanh"] = x => F.hardtanh(x[0], -0.5, 0.8),
            ["leaky_relu_default"] = x => F.leaky_relu(x[0]),
            ["one_hot"] = x => F.one_hot(x[0], 5),
            ["one_hot_infer"] = x => F.one_hot(x[0]),

            ["mse_mean"] = x => F.mse_loss(x[0], x[1]),
            ["mse_sum"] = x => F.mse_loss(x[0], x[1], Reduction.Sum),
            ["mse_none"] = x => F.mse_loss(x[0], x[1], Reduction.None),
            ["l1_mean"] = x => F.l1_loss(x[0], x[1]),
            ["l1_sum"] = x => F.l1_loss(x[0], x[1], Reduction.Sum),
            ["smooth_l1_mean"] = x => F.smooth_l1_loss(x[0], x[1]),
            ["smooth_l1_beta0.5_sum"] = x => F.smooth_l1_loss(x[0], x[1], Reduction.Sum, beta: 0.5),
            ["smooth_l1_none"] = x => F.smooth_l1_loss(x[0], x[1], Reduction.None),
            ["bce_mean"] = x => F.binary_cross_entropy(x[0], x[1]),
            ["bce_weight_sum"] = x => F.binary_cross_entropy(x[0], x[1], weight: x[2], reduction: Reduction.Sum),
            ["bce_logits_mean"] = x => F.binary_cross_entropy_with_logits(x[0], x[1]),
            ["bce_logits_pos_weight"] = x => F.binary_cross_entropy_with_logits(x[0], x[1], pos_weight: x[2]),
            ["bce_logits_weight_pos_weight_none"] = x =>
                F.binary_cross_entropy_with_logits(x[0], x[1], weight: x[2], pos_weight: x[3], reduction: Reduction.None),
            ["cross_entropy"] = x => F.cross_entropy(x[0], x[1]),
            ["cross_entropy_ls0.1"] = x => F.cross_entropy(x[0], x[1], label_smoothing: 0.1),
            ["cross_entropy_probs"] = x => F.cross_entropy(x[0], x[1]),
            ["cross_entropy_probs_ls0.1"] = x => F.cross_entropy(x[0], x[1], label_smoothing: 0.1),
            ["cross_entropy_weight_ignore_sum"] = x => F.cross_entropy(x[0], x[1], weight: x[2], reduction: Reduction.Sum, ignore_index: 2),
            ["cross_entropy_weight_mean"] = x => F.cross_entropy(x[0], x[1], weight: x[2]),
            ["cross_entropy_none"] = x => F.cross_entropy(x[0], x[1], reduction: Reduction.None),
            ["nll"] = x => F.nll_loss(x[0], x[1]),
            ["nll_weight"] = x => F.nll_loss(x[0], x[1], weight: x[2]),
            ["nll_ignore_sum"] = x => F.nll_loss(x[0], x[1], reduction: Reduction.Sum, ignore_index: 4),
            ["kl_div_batchmean"] = x => F.kl_div(x[0], x[1], "batchmean"),
            ["kl_div_batchmean_log_target"] = x => F.kl_div(x[0], x[1], "batchmean", log_target: true),
            ["kl_div_sum"] = x => F.kl_div(x[0], x[1], "sum"),
        };
        foreach (var mode in new[] { "bilinear", "nearest" })
            foreach (var pm in new[] { "zeros", "border", "reflection" })
                foreach (var ac in new[] { false, true })
                    w[$"grid_sample_{mode}_{pm}_{(ac ? "ac" : "noac")}"] = x => F.grid_sample(x[0], x[1], mode, pm, ac);
        return w;
    }

    public static IEnumerable<object[]> Cases() => Ops.Keys.Select(k => new object[] { k });

    [Fact]
    public void Every_golden_case_has_an_op_here_and_the_other_way_round()
    {
        using var scope = torch.NewDisposeScope();
        Check.SameNames(Ops.Keys, new Golden(File).Cases(), "functional cases");
    }

    /// <summary>
    /// Tolerance 1e-5 relative plus 1e-5 absolute: the same libtorch kernels on the same inputs
    /// (bitwise equal with this machine's libtorch); the margin covers reduction order with
    /// other thread counts and libtorch builds.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_pytorch_forward_and_input_gradients(string name)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        const double rtol = 1e-5, atol = 1e-5;
        var grads = g.Meta[$"{name}.grad"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        var inputs = Enumerable.Range(0, 8).TakeWhile(i => g.Has($"{name}/in{i}"))
            .Select(i => grads.Contains(i) ? g[$"{name}/in{i}"].clone().requires_grad_() : g[$"{name}/in{i}"])
            .ToArray();
        Assert.NotEmpty(inputs);

        var y = Ops[name](inputs);
        var expected = g[$"{name}/out"];
        if (expected.dtype.IsFloatingPoint()) Check.Close(y, expected, rtol, atol, $"{name}: output");
        else Check.Bitwise(y, expected, $"{name}: output");
        if (grads.Count == 0) return;

        (y * g[$"{name}/lossw"]).sum().backward();
        foreach (var i in grads)
            Check.Close(inputs[i].grad, g[$"{name}/grad{i}"], rtol, atol, $"{name}: gradient of input {i}");
    }
}
