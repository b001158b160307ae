using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

/// <summary>
/// The engine's fused batch norm + activation kernels (engine/native/src/norm.cpp) against libtorch's
/// batch_norm followed by the activation, PyTorch's own kernels: outputs, the three gradients and the
/// running statistics, in every layout the kernels take (NCHW with long, short and 1-value rows,
/// channels-last, 2-D and 3-D inputs), with and without affine parameters.
/// </summary>
public class FusedBatchNormTests
{
    private sealed record Result(float[] Y, float[] Gx, float[]? Gw, float[]? Gb, float[] RunningMean, float[] RunningVar, string? GradFn);

    private static Result Run(long[] shape, NormActivation act, bool fused, bool affine = true, bool channelsLast = false,
        double offset = 0, double scale = 1)
    {
        var before = F.UseFusedBatchNorm;
        try
        {
            F.UseFusedBatchNorm = fused;
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(7);
            var c = shape[1];
            var x0 = torch.randn(shape) * scale + offset;
            var x = (channelsLast ? x0.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x0).detach().requires_grad_();
            if (channelsLast) x.is_contiguous().Should().BeFalse("the input is channels-last");
            var w = affine ? (torch.rand([c]) + 0.5).requires_grad_() : null;
            var b = affine ? torch.randn([c]).requires_grad_() : null;
            var rm = torch.randn([c]);
            var rv = torch.rand([c]) + 0.5;
            var y = F.batch_norm(x, rm, rv, w, b, training: true, momentum: 0.3, eps: 1e-5, act);
            var g = torch.randn(shape);
            var name = y.grad_fn_name();
            y.backward(g);
            return new(y.contiguous().data<float>(), x.grad!.contiguous().data<float>(), w?.grad!.data<float>(), b?.grad!.data<float>(),
                rm.data<float>(), rv.data<float>(), name);
        }
        finally
        {
            F.UseFusedBatchNorm = before;
        }
    }

    private static void ShouldMatch(float[]? got, float[]? want, string what, double tol = 1e-4)
    {
        if (want is null) { got.Should().BeNull(what); return; }
        got!.Length.Should().Be(want.Length, what);
        var scale = want.Max(v => Math.Abs((double)v));
        for (var i = 0; i < want.Length; i++)
            ((double)got[i]).Should().BeApproximately(want[i], tol * (1 + scale), $"{what}[{i}]");
    }

    public static TheoryData<long[], int, bool, bool> Cases => new()
    {
        // shape, activation (0 none, 1 ReLU, 2 LeakyReLU 0.2), affine, channels-last
        { [6, 3, 5, 5], 2, true, false },     // rows of 25: eight-wide body and a tail
        { [9, 4, 4, 4], 1, true, false },     // rows of 16, as conv-small's third block
        { [5, 3, 7], 0, true, false },        // BatchNorm1d on (N, C, L), rows shorter than 8
        { [130, 7], 1, true, false },         // BatchNorm1d on (N, C): blocks of 64 rows and a part-block
        { [130, 7], 2, false, false },        // no affine parameters
        { [4, 6, 3, 5], 2, true, true },      // channels-last
        { [3, 2, 9, 9], 0, false, true },
    };

    private static NormActivation Act(int code) => code switch
    {
        1 => NormActivation.ReLU,
        2 => NormActivation.LeakyReLU(0.2),
        _ => NormActivation.None,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_batch_norm_matches_libtorchs_batch_norm_and_activation(long[] shape, int act, bool affine, bool channelsLast)
    {
        var fused = Run(shape, Act(act), fused: true, affine, channelsLast);
        var plain = Run(shape, Act(act), fused: false, affine, channelsLast);
        fused.GradFn.Should().Contain("BatchNormAct", "the fused kernels took the call");
        plain.GradFn.Should().NotContain("BatchNormAct");
        ShouldMatch(fused.Y, plain.Y, "y");
        ShouldMatch(fused.Gx, plain.Gx, "grad x");
        ShouldMatch(fused.Gw, plain.Gw, "grad weight");
        ShouldMatch(fused.Gb, plain.Gb, "grad bias");
        ShouldMatch(fused.RunningMean, plain.RunningMean, "running mean");
        ShouldMatch(fused.RunningVar, plain.RunningVar, "running var");
    }

    [Fact]
    public void A_mean_far_from_zero_keeps_its_variance()
    {
        // Values 1000 +- 0.01: a sum of squares in float would lose the variance entirely.
        var fused = Run([64, 3, 6, 6], NormActivation.None, fused: true, affine: false, offset: 1000, scale: 0.01);
        var plain = Run([64, 3, 6, 6], NormActivation.None, fused: false, affine: false, offset: 1000, scale: 0.01);
        using var y = torch.tensor<float>(fused.Y, [64, 3, 6, 6]);
        // Variance 1e-4 against eps 1e-5: the output's variance is 1e-4 / (1e-4 + 1e-5).
        y.reshape(-1).var(0).item().Should().BeApproximately(1e-4 / (1e-4 + 1e-5), 0.02, "the variance survived the offset");
        ShouldMatch(fused.Y, plain.Y, "y", tol: 2e-2);
        ShouldMatch(fused.RunningVar, plain.RunningVar, "running var", tol: 2e-2);
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var before = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            var one = Run([64, 8, 7, 7], NormActivation.LeakyReLU(0.2), fused: true);
            var oneRows = Run([300, 16], NormActivation.ReLU, fused: true);
            torch.set_num_threads(2);
            var two = Run([64, 8, 7, 7], NormActivation.LeakyReLU(0.2), fused: true);
            var twoRows = Run([300, 16], NormActivation.ReLU, fused: true);
            two.Y.Should().Equal(one.Y, "bitwise: the partial sums are added in a fixed order");
            two.Gx.Should().Equal(one.Gx);
            two.Gw.Should().Equal(one.Gw);
            twoRows.Y.Should().Equal(oneRows.Y);
            twoRows.Gx.Should().Equal(oneRows.Gx);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public void Sequential_fuses_a_batch_norm_with_the_activation_after_it()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var leaky = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.LeakyReLU(0.2));
        using var relu = new nn.Sequential(new nn.Linear(5, 6), new nn.BatchNorm1d(6), new nn.ReLU());
        using var alone = new nn.Sequential(new nn.Linear(5, 6), new nn.BatchNorm1d(6), new nn.Tanh());
        var x = torch.randn(8, 1, 6, 6).requires_grad_();
        var v = torch.randn(8, 5).requires_grad_();
        leaky.forward(x).grad_fn_name().Should().Contain("BatchNormAct");
        relu.forward(v).grad_fn_name().Should().Contain("BatchNormAct");
        alone.forward(v).grad_fn_name().Should().Contain("Tanh", "a batch norm before another activation runs alone");

        // The same numbers as each layer on its own.
        var fusedY = leaky.forward(x);
        var plainY = F.leaky_relu(leaky[1].forward(leaky[0].forward(x)), 0.2);
        ShouldMatch(fusedY.data<float>(), plainY.data<float>(), "y");
    }

    [Fact]
    public void Evaluation_mode_and_float64_use_libtorchs_operators()
    {
        using var scope = torch.NewDisposeScope();
        using var bn = new nn.BatchNorm2d(3);
        bn.eval();
        var x = torch.randn(4, 3, 5, 5).requires_grad_();
        var y = bn.forward(x, NormActivation.ReLU);
        y.grad_fn_name().Should().NotContain("BatchNormAct");
        bn.running_mean!.abs().max().item().Should().Be(0, "evaluation leaves the running statistics");
        y.min().item().Should().BeGreaterThanOrEqualTo(0);

        var d = torch.randn([4, 3], ScalarType.Float64).requires_grad_();
        F.batch_norm(d, null, null, training: true).grad_fn_name().Should().NotContain("BatchNormAct");
    }

    [Fact]
    public void A_second_derivative_through_the_fused_kernels_is_libtorchs()
    {
        // A gradient penalty: d/dw of |dL/dx|^2 needs the batch norm's backward to be differentiable.
        float[] Penalty(bool fused)
        {
            var before = F.UseFusedBatchNorm;
            try
            {
                F.UseFusedBatchNorm = fused;
                using var scope = torch.NewDisposeScope();
                torch.manual_seed(3);
                var x = torch.randn(10, 4, 3, 3).requires_grad_();
                var w = (torch.rand([4]) + 0.5).requires_grad_();
                var b = torch.randn([4]).requires_grad_();
                var y = F.batch_norm(x, null, null, w, b, true, 0.1, 1e-5, NormActivation.LeakyReLU(0.2));
                var gx = autograd.grad([(y * y).sum()], [x], create_graph: true)[0]!;
                gx.pow(2).sum().backward();
                return [.. w.grad!.data<float>(), .. b.grad!.data<float>(), .. x.grad!.data<float>()];
            }
            finally
            {
                F.UseFusedBatchNorm = before;
            }
        }
        ShouldMatch(Penalty(true), Penalty(false), "second derivative", tol: 1e-3);
    }

    [Fact]
    public void One_value_per_channel_in_training_is_refused_as_in_PyTorch()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => F.batch_norm(torch.randn(1, 3), null, null, training: true, activation: NormActivation.ReLU, momentum: 0.1, eps: 1e-5,
            weight: null, bias: null);
        act.Should().Throw<ArgumentException>().WithMessage("Expected more than 1 value per channel when training, got input size [1, 3]");
    }
}
