using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

/// <summary>
/// The CPU fast paths of F (transposed conv of a 1x1 input as a matrix product, a conv whose
/// kernel covers its input as a linear layer, the adjoint transposed conv) against libtorch's kernels:
/// same outputs and same gradients.
/// </summary>
public class ConvFastPathTests
{
    private static (float[] y, float[] gx, float[] gw, float[]? gb) Run(Func<Tensor, Tensor, Tensor?, Tensor> op, long[] xShape,
        long[] wShape, long? biasSize, ulong seed = 1)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        var x = torch.randn(xShape).requires_grad_();
        var w = torch.randn(wShape).requires_grad_();
        var b = biasSize is { } n ? torch.randn([n]).requires_grad_() : null;
        var y = op(x, w, b);
        var g = torch.randn(y.shape);
        y.backward(g);
        return (y.data<float>(), x.grad!.data<float>(), w.grad!.data<float>(), b?.grad!.data<float>());
    }

    private static void ShouldMatch(float[] a, float[] b)
    {
        a.Length.Should().Be(b.Length);
        for (var i = 0; i < a.Length; i++) a[i].Should().BeApproximately(b[i], 1e-3f + 1e-4f * Math.Abs(b[i]));
    }

    // Transposed convolutions: weight (Cin, Cout, kh, kw), bias of Cout.
    private static void Compare(Func<Tensor, Tensor, Tensor?, Tensor> op, long[] xShape, long[] wShape, bool bias)
    {
        long? biasSize = bias ? wShape[1] : null;
        var before = F.UseAdjointConvTranspose;
        try
        {
            F.UseAdjointConvTranspose = true;
            var ours = Run(op, xShape, wShape, biasSize);
            F.UseAdjointConvTranspose = false;
            var reference = Run(op, xShape, wShape, biasSize);
            ShouldMatch(ours.y, reference.y);
            ShouldMatch(ours.gx, reference.gx);
            ShouldMatch(ours.gw, reference.gw);
            if (bias) ShouldMatch(ours.gb!, reference.gb!);
        }
        finally
        {
            F.UseAdjointConvTranspose = before;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Transposed_conv_of_a_1x1_input_matches_libtorch(bool bias) =>
        Compare((x, w, b) => F.conv_transpose2d(x, w, b, stride: 1, padding: 0), [3, 5, 1, 1], [5, 4, 7, 7], bias);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Strided_transposed_conv_matches_libtorch(bool bias) =>
        Compare((x, w, b) => F.conv_transpose2d(x, w, b, stride: 2, padding: 1), [2, 6, 7, 7], [6, 3, 4, 4], bias);

    [Fact]
    public void Conv_whose_kernel_covers_the_input_is_a_linear_layer()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var x = torch.randn(4, 6, 7, 7).requires_grad_();
        var w = torch.randn(2, 6, 7, 7).requires_grad_();
        var b = torch.randn(2).requires_grad_();
        var y = F.conv2d(x, w, b);
        y.shape.Should().Equal(4, 2, 1, 1);
        // Reference: the same sum written out with elementwise ops.
        var expected = (x.unsqueeze(1) * w.unsqueeze(0)).sum([2, 3, 4]) + b;
        ShouldMatch(y.view(4, 2).data<float>(), expected.data<float>());
        var g = torch.randn(4, 2, 1, 1);
        y.backward(g);
        var gx = x.grad!.data<float>();
        var gw = w.grad!.data<float>();
        x.grad = null;
        w.grad = null;
        expected.backward(g.view(4, 2));
        ShouldMatch(gx, x.grad!.data<float>());
        ShouldMatch(gw, w.grad!.data<float>());
    }
}
