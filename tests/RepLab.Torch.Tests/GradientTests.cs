using Xunit;
using static RepLab.Torch.Tests.GradCheck;

namespace RepLab.Torch.Tests;

/// <summary>Every differentiable op of the binding against finite differences (float64).</summary>
public class GradientTests
{
    private static readonly Dictionary<string, (Func<Tensor[]> inputs, Func<Tensor[], Tensor> f)> Cases = new()
    {
        // elementwise
        ["add"] = (() => [R(2, 3), R(1, 3)], x => x[0] + x[1]),
        ["sub_alpha"] = (() => [R(2, 3), R(2, 3)], x => x[0].sub(x[1], 2.5)),
        ["mul"] = (() => [R(2, 3), R(2, 1)], x => x[0] * x[1]),
        ["div"] = (() => [R(2, 3), U(0.5, 2, 2, 3)], x => x[0] / x[1]),
        ["rsub_rdiv"] = (() => [U(0.5, 2, 4)], x => 1.0 - 2.0 / x[0]),
        ["pow"] = (() => [U(0.5, 2, 4), U(-1, 1, 4)], x => x[0].pow(x[1])),
        ["pow_scalar"] = (() => [U(0.5, 2, 4)], x => x[0].pow(2.5)),
        ["exp_log_sqrt"] = (() => [U(0.5, 2, 5)], x => x[0].exp() + x[0].log() + x[0].sqrt() + x[0].rsqrt()),
        ["abs_sign"] = (() => [U(0.2, 1, 4) * torch.tensor(new double[] { 1, -1, 1, -1 })], x => x[0].abs() * 2),
        ["sin_cos_tanh_sigmoid"] = (() => [R(5)], x => x[0].sin() + x[0].cos() + x[0].tanh() + x[0].sigmoid()),
        ["log1p_expm1_square_reciprocal"] = (() => [U(0.5, 2, 5)], x => x[0].log1p() + x[0].expm1() + x[0].square() + x[0].reciprocal()),
        ["erf"] = (() => [R(5)], x => x[0].erf()),
        ["clamp"] = (() => [torch.tensor(new double[] { -2, -0.5, 0.3, 0.7, 2 })], x => x[0].clamp(-1, 1) * x[0]),
        ["maximum_minimum"] = (() => [torch.tensor(new double[] { 1, 2, 3 }), torch.tensor(new double[] { 2.5, 1.5, 0.5 })], x => x[0].maximum(x[1]) + x[0].minimum(x[1]) * 3),
        ["where"] = (() => [R(4), R(4)], x => torch.where(torch.tensor(new bool[] { true, false, true, false }), x[0], x[1])),
        ["addcmul_addcdiv"] = (() => [R(3), R(3), U(0.5, 2, 3)], x => x[0].addcmul(x[1], x[2], 0.5).addcdiv(x[1], x[2], 2)),
        // reductions
        ["sum_mean"] = (() => [R(2, 3, 4)], x => x[0].sum(1) + x[0].mean(1) * 2),
        ["sum_all"] = (() => [R(2, 3)], x => x[0].sum() * x[0].mean()),
        ["var_std"] = (() => [R(3, 5)], x => x[0].var(1) + x[0].std([0, 1], correction: 0)),
        ["logsumexp"] = (() => [R(3, 4)], x => x[0].logsumexp(1)),
        ["amax_max_dim"] = (() => [torch.tensor(new double[] { 1, 5, 3, 7, 2, 4 }, 2, 3)], x => x[0].amax(1).sum() + x[0].max(0).values),
        ["norm"] = (() => [R(3, 4)], x => x[0].norm(2, 1)),
        ["prod"] = (() => [U(0.5, 2, 2, 3)], x => x[0].prod(1)),
        ["cumsum"] = (() => [R(2, 4)], x => x[0].cumsum(1)),
        ["topk_sort"] = (() => [torch.tensor(new double[] { 3, 1, 4, 1.5, 5, 9 })], x => x[0].topk(3).values.sum() + x[0].sort().values * 2),
        // linear algebra
        ["matmul"] = (() => [R(2, 3, 4), R(4, 2)], x => x[0].matmul(x[1])),
        ["mm"] = (() => [R(2, 3), R(3, 4)], x => x[0].mm(x[1])),
        ["bmm"] = (() => [R(2, 2, 3), R(2, 3, 2)], x => x[0].bmm(x[1])),
        ["einsum"] = (() => [R(2, 3), R(3, 4)], x => torch.einsum("ij,jk->ik", x[0], x[1])),
        // views and indexing
        ["reshape_view_permute_transpose"] = (() => [R(2, 3, 4)], x => x[0].reshape(6, 4).view(4, 6).T.contiguous().permute(1, 0).transpose(0, 1)),
        ["narrow_slice_select"] = (() => [R(4, 5)], x => x[0].narrow(0, 1, 2).slice(1, 0, 5, 2) * x[0].select(0, 3).slice(0, 0, 3)),
        ["index_select_gather"] = (() => [R(3, 4)], x => x[0].index_select(1, torch.tensor(new long[] { 3, 0, 3 })).gather(0, torch.tensor(new long[] { 2, 0, 1, 0, 1, 2 }, 2, 3))),
        ["index_tensor"] = (() => [R(4, 3)], x => x[0][torch.tensor(new long[] { 2, 2, 0 })]),
        ["scatter_scatter_add"] = (() => [R(2, 3), R(2, 2)], x => x[0].scatter_add(1, torch.tensor(new long[] { 0, 0, 2, 1 }, 2, 2), x[1]) + x[0].scatter(1, torch.tensor(new long[] { 1, 2, 0, 1 }, 2, 2), x[1])),
        ["masked_fill"] = (() => [R(2, 3)], x => x[0].masked_fill(torch.tensor(new bool[] { true, false, false, true, false, true }, 2, 3), 0.5)),
        ["cat_stack"] = (() => [R(2, 3), R(1, 3)], x => torch.cat(new[] { x[0], x[1] }).sum(0) + torch.stack(new[] { x[0][0], x[1][0] }).prod(0)),
        ["split_chunk"] = (() => [R(5, 2)], x => x[0].split(2)[2].sum() * x[0].chunk(2)[1].sum(0) + x[0].split([1, 4])[0][0]),
        ["flip_roll_expand_repeat"] = (() => [R(2, 3)], x => x[0].flip(1).roll(1, 0) + x[0][0].unsqueeze(0).expand(2, 3) + x[0].slice(0, 0, 1).repeat(2, 1)),
        ["squeeze_unsqueeze_flatten"] = (() => [R(2, 1, 3)], x => x[0].squeeze(1).unsqueeze(0).flatten() * 2 + x[0].squeeze().flatten()),
        ["tril_triu"] = (() => [R(3, 3)], x => x[0].tril() + x[0].triu(1) * 2),
        // nn functions
        ["conv2d"] = (() => [R(2, 4, 5, 5), R(6, 2, 3, 3), R(6)], x => F.conv2d(x[0], x[1], x[2], [2, 1], [1, 0], [1, 1], groups: 2)),
        ["conv2d_dilated"] = (() => [R(1, 2, 6, 6), R(3, 2, 2, 2)], x => F.conv2d(x[0], x[1], null, 1, padding: 1, dilation: 2)),
        ["conv_transpose2d_adjoint"] = (() => [R(2, 3, 3, 3), R(3, 2, 4, 4), R(2)], x => F.conv_transpose2d(x[0], x[1], x[2], 2, padding: 1, output_padding: 1)),
        ["conv_transpose2d_grouped_adjoint"] = (() => [R(1, 4, 3, 3), R(4, 1, 3, 3)], x => F.conv_transpose2d(x[0], x[1], null, 2, padding: 1, groups: 2)),
        ["conv_transpose2d_libtorch"] = (() => [R(2, 3, 3, 3), R(3, 2, 4, 4), R(2)], x => WithoutAdjoint(() => F.conv_transpose2d(x[0], x[1], x[2], 2, padding: 1))),
        ["linear"] = (() => [R(3, 4), R(2, 4), R(2)], x => F.linear(x[0], x[1], x[2])),
        ["batch_norm_train"] = (() => [R(4, 3, 2, 2), U(0.5, 1.5, 3), R(3)], x => F.batch_norm(x[0], null, null, x[1], x[2], training: true)),
        ["batch_norm_eval"] = (() => [R(4, 3), U(0.5, 1.5, 3), R(3)], x => F.batch_norm(x[0], torch.zeros([3], ScalarType.Float64) + 0.1, torch.ones([3], ScalarType.Float64) * 2, x[1], x[2], training: false)),
        ["group_norm"] = (() => [R(2, 4, 2, 2), U(0.5, 1.5, 4), R(4)], x => F.group_norm(x[0], 2, x[1], x[2])),
        ["layer_norm"] = (() => [R(3, 4), U(0.5, 1.5, 4), R(4)], x => F.layer_norm(x[0], [4], x[1], x[2])),
        ["dropout"] = (() => [R(4, 5)], x => { torch.manual_seed(3); return F.dropout(x[0], 0.3, training: true); }),
        ["dropout2d"] = (() => [R(2, 4, 2, 2)], x => { torch.manual_seed(3); return F.dropout2d(x[0], 0.5, training: true); }),
        ["max_pool2d"] = (() => [R(1, 2, 5, 5)], x => F.max_pool2d(x[0], [3, 3], [2, 2], [1, 1])),
        ["avg_pool2d"] = (() => [R(1, 2, 5, 5)], x => F.avg_pool2d(x[0], [3, 3], [2, 2], [1, 1], count_include_pad: false)),
        ["adaptive_avg_pool2d"] = (() => [R(1, 2, 5, 5)], x => F.adaptive_avg_pool2d(x[0], [2, 3])),
        ["adaptive_max_pool2d"] = (() => [R(1, 2, 4, 4)], x => F.adaptive_max_pool2d(x[0], 2)),
        ["interpolate_nearest"] = (() => [R(1, 2, 3, 3)], x => F.interpolate(x[0], scale_factor: 2)),
        ["interpolate_bilinear"] = (() => [R(1, 2, 3, 3)], x => F.interpolate(x[0], size: [5, 4], mode: "bilinear") + F.interpolate(x[0], size: [4, 4], mode: "bilinear", align_corners: true).mean()),
        ["affine_grid_grid_sample"] = (() => [R(2, 1, 4, 4), torch.tensor(new double[] { 0.9, 0.1, 0.05, -0.1, 1.1, 0.02, 0.8, 0.2, -0.1, 0.3, 0.7, 0.1 }, 2, 2, 3)],
            x => F.grid_sample(x[0], F.affine_grid(x[1], [2, 1, 3, 3]), padding_mode: "border")),
        ["grid_sample_reflection"] = (() => [R(1, 2, 3, 3), U(-0.9, 0.9, 1, 2, 2, 2)], x => F.grid_sample(x[0], x[1], padding_mode: "reflection", align_corners: true)),
        ["pad_constant_reflect_replicate"] = (() => [R(1, 1, 3, 3)], x => F.pad(x[0], [1, 1, 2, 0], value: 0.5) + F.pad(x[0], [1, 1, 2, 0], "reflect") * 2 + F.pad(x[0], [1, 1, 2, 0], "replicate") * 3),
        ["relu_leaky_elu"] = (() => [torch.tensor(new double[] { -1.5, -0.3, 0.4, 1.2 })], x => x[0].relu() + F.leaky_relu(x[0], 0.2) + F.elu(x[0])),
        ["gelu_silu_mish_softplus"] = (() => [R(6)], x => F.gelu(x[0]) + F.gelu(x[0], "tanh") + F.silu(x[0]) + F.mish(x[0]) + F.softplus(x[0], 2)),
        ["hardtanh_hardswish"] = (() => [torch.tensor(new double[] { -4, -0.5, 0.3, 2.5 })], x => F.hardtanh(x[0]) + F.hardswish(x[0])),
        ["softmax_log_softmax"] = (() => [R(3, 4)], x => F.softmax(x[0], 1) + F.log_softmax(x[0], 0)),
        ["normalize"] = (() => [R(3, 4)], x => F.normalize(x[0], dim: 1)),
        ["cosine_similarity"] = (() => [R(3, 4), R(3, 4)], x => F.cosine_similarity(x[0], x[1])),
        // losses
        ["mse_l1_smooth_l1"] = (() => [R(3, 4), R(3, 4)], x => F.mse_loss(x[0], x[1]) + F.l1_loss(x[0], x[1], Reduction.Sum) + F.smooth_l1_loss(x[0], x[1], beta: 0.5)),
        ["bce"] = (() => [U(0.1, 0.9, 6), U(0, 1, 6)], x => F.binary_cross_entropy(x[0], x[1])),
        ["bce_with_logits"] = (() => [R(6), U(0, 1, 6)], x => F.binary_cross_entropy_with_logits(x[0], x[1], pos_weight: torch.tensor(new double[] { 2.0 }))),
        ["cross_entropy"] = (() => [R(4, 5)], x => F.cross_entropy(x[0], torch.tensor(new long[] { 1, 0, 4, 2 }), label_smoothing: 0.1)),
        ["cross_entropy_probabilities"] = (() => [R(2, 3), F.softmax(R(2, 3), 1)], x => F.cross_entropy(x[0], x[1])),
        ["nll"] = (() => [R(4, 3)], x => F.nll_loss(F.log_softmax(x[0], 1), torch.tensor(new long[] { 2, 0, 1, 1 }))),
        ["kl_div"] = (() => [R(3, 4), F.softmax(R(3, 4), 1)], x => F.kl_div(F.log_softmax(x[0], 1), x[1], "batchmean")),
    };

    private static Tensor WithoutAdjoint(Func<Tensor> f)
    {
        F.UseAdjointConvTranspose = false;
        try { return f(); }
        finally { F.UseAdjointConvTranspose = true; }
    }

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Analytic_gradient_matches_finite_differences(string name)
    {
        torch.manual_seed(42);
        using var scope = torch.NewDisposeScope();
        var (inputs, f) = Cases[name];
        GradCheck.Check(f, inputs());
    }
}
