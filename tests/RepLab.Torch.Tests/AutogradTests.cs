using FluentAssertions;
using Xunit;

namespace RepLab.Torch.Tests;

public class AutogradTests
{
    [Fact]
    public void Backward_accumulates_into_grad_and_grad_can_be_cleared()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, 2, 3 }).requires_grad_();
        (x * x).sum().backward();
        x.grad!.data<float>().Should().Equal(2, 4, 6);
        (x * 3).sum().backward();
        x.grad!.data<float>().Should().Equal(5, 7, 9);
        x.grad = null;
        x.grad.Should().BeNull();
    }

    [Fact]
    public void Backward_takes_an_explicit_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, 2 }).requires_grad_();
        var y = x * 2;
        y.backward(torch.tensor(new float[] { 1, 10 }));
        x.grad!.data<float>().Should().Equal(2, 20);
    }

    [Fact]
    public void Detach_cuts_the_graph_and_leaves_are_reported()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2).requires_grad_();
        var y = x * 2;
        x.is_leaf.Should().BeTrue();
        y.is_leaf.Should().BeFalse();
        y.requires_grad.Should().BeTrue();
        y.detach().requires_grad.Should().BeFalse();
    }

    [Fact]
    public void No_grad_records_nothing_on_this_thread_and_restores_the_mode()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(2).requires_grad_();
        using (torch.no_grad())
        {
            torch.is_grad_enabled().Should().BeFalse();
            (x * 2).requires_grad.Should().BeFalse();
            // Grad mode is thread-local: another OS thread still records.
            // A thread of its own (not a task, whose continuation could move this test's thread).
            var other = false;
            var thread = new Thread(() =>
            {
                using var s = torch.NewDisposeScope();
                other = (x * 2).requires_grad;
            });
            thread.Start();
            thread.Join();
            other.Should().BeTrue();
        }
        torch.is_grad_enabled().Should().BeTrue();
        (x * 2).requires_grad.Should().BeTrue();
    }

    [Fact]
    public void Autograd_grad_with_create_graph_gives_second_derivatives_for_gradient_penalties()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new double[] { 1, 2, 3 }).requires_grad_();
        var y = (x * x * x).sum();
        var g = autograd.grad([y], [x], create_graph: true)[0]!;
        g.data<double>().Should().Equal(3, 12, 27);
        x.grad.Should().BeNull("autograd.grad does not touch .grad");
        // A WGAN-GP style penalty: (||dy/dx|| - 1)^2, differentiated again.
        var penalty = (g.norm() - 1.0).pow(2);
        penalty.backward();
        var n = Math.Sqrt(9 + 144 + 729);
        // d/dx_i (||g|| - 1)^2 = 2(||g||-1) * g_i/||g|| * dg_i/dx_i, with g_i = 3x_i^2, dg_i/dx_i = 6x_i
        var expected = new[] { 1.0, 2, 3 }.Select(v => 2 * (n - 1) * (3 * v * v / n) * 6 * v).ToArray();
        x.grad!.data<double>().Should().BeEquivalentTo(expected, o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-9)).WhenTypeIs<double>());
    }

    [Fact]
    public void Unused_inputs_give_null_only_when_allowed()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones(2).requires_grad_();
        var b = torch.ones(2).requires_grad_();
        var y = (a * 2).sum();
        var grads = autograd.grad([y], [a, b], retain_graph: true, allow_unused: true);
        grads[1].Should().BeNull();
        var act = () => autograd.grad([y], [a, b]);
        act.Should().Throw<TorchException>().WithMessage("*not have been used in the graph*");
    }
}
