using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>A private CPU random stream (PyTorch's <c>torch.Generator</c>, Philox-free mt19937 on CPU).</summary>
public sealed class Generator : IDisposable
{
    internal readonly GeneratorHandle Handle;

    public Generator(ulong seed = 67280421310721UL)
    {
        Check(rl_generator_new(seed, out var g));
        Handle = new GeneratorHandle(g);
    }

    /// <summary>The stream's full state (a uint8 tensor), for checkpoints.</summary>
    public Tensor get_state() => Tensor.Wrap(rl_generator_get_state(Handle, out var o), o);

    public void set_state(Tensor state) => Check(rl_generator_set_state(Handle, state.H));

    public void Dispose() => Handle.Dispose();
}
