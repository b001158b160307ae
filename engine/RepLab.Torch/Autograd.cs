using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch.autograd</c>.</summary>
public static class autograd
{
    /// <summary>
    /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, without
    /// touching <c>.grad</c>. With <paramref name="create_graph"/> the result is itself differentiable
    /// (gradient penalties). Unused inputs give null when <paramref name="allow_unused"/> is set.
    /// </summary>
    public static unsafe Tensor?[] grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? grad_outputs = null, bool retain_graph = false, bool create_graph = false, bool allow_unused = false)
    {
        if (grad_outputs is not null && grad_outputs.Count != outputs.Count)
            throw new ArgumentException("autograd.grad: one grad_output per output");
        var results = new IntPtr[inputs.Count];
        Tensor.WithHandles(outputs, outs =>
            Tensor.WithHandles(inputs, ins =>
                Tensor.WithHandles(grad_outputs ?? [], gos =>
                {
                    fixed (IntPtr* r = results)
                        Check(rl_autograd_grad((IntPtr*)outs, outputs.Count, grad_outputs is null ? null : (IntPtr*)gos,
                            (IntPtr*)ins, inputs.Count, retain_graph ? 1 : 0, create_graph ? 1 : 0, allow_unused ? 1 : 0, r));
                    return 0;
                })));
        return results.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
    }
}
