using FluentAssertions;

namespace RepLab.Torch.Tests;

/// <summary>
/// Finite-difference gradient check in float64: the analytic gradient of
/// L = sum(f(inputs) * w) (w fixed random) must match central differences of L.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var x in inputs) x.requires_grad = true;
        var outShape = f(inputs).shape;
        using var g = new Generator(1234);
        var w = torch.randn(outShape, ScalarType.Float64, generator: g);
        double Loss(Tensor[] xs)
        {
            using var inner = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            return (f(xs) * w).sum().item();
        }
        var loss = (f(inputs) * w).sum();
        var analytic = autograd.grad([loss], inputs, allow_unused: true);
        for (var i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.dtype.IsFloatingPoint()) continue;
            var values = x.detach().data<double>();
            var numeric = new double[values.Length];
            for (var k = 0; k < values.Length; k++)
            {
                var plus = (double[])values.Clone();
                var minus = (double[])values.Clone();
                plus[k] += eps;
                minus[k] -= eps;
                var xsPlus = (Tensor[])inputs.Clone();
                var xsMinus = (Tensor[])inputs.Clone();
                xsPlus[i] = torch.tensor<double>(plus, x.shape);
                xsMinus[i] = torch.tensor<double>(minus, x.shape);
                numeric[k] = (Loss(xsPlus) - Loss(xsMinus)) / (2 * eps);
            }
            var got = analytic[i]?.data<double>() ?? new double[values.Length];
            for (var k = 0; k < values.Length; k++)
                got[k].Should().BeApproximately(numeric[k], atol + rtol * Math.Abs(numeric[k]),
                    $"d/d input{i}[{k}] (analytic {got[k]}, numeric {numeric[k]})");
        }
    }

    public static Tensor R(params long[] shape) => torch.randn(shape, ScalarType.Float64);

    /// <summary>Values in (lo, hi), away from the kinks of piecewise ops.</summary>
    public static Tensor U(double lo, double hi, params long[] shape) => torch.rand(shape, ScalarType.Float64) * (hi - lo) + lo;
}
