using static RepLab.Torch.Native;

namespace RepLab.Torch;

/// <summary>A private CPU random stream (PyTorch's <c>torch.Generator</c>, Philox-free mt19937 on CPU).</summary>
public sealed class Generator : IDisposable
{
    internal readonly GeneratorHandle Handle;

    /// <summary>A generator seeded with <paramref name="seed"/> (the default is PyTorch's default seed, 67280421310721). Pass it as <c>generator:</c> to the random factories and <c>uniform_</c>/<c>normal_</c>.</summary>
    public Generator(ulong seed = 67280421310721UL)
    {
        Check(rl_generator_new(seed, out var g));
        Handle = new GeneratorHandle(g);
    }

    /// <summary>The stream's full state (a uint8 tensor), for checkpoints.</summary>
    public Tensor get_state() => Tensor.Wrap(rl_generator_get_state(Handle, out var o), o);

    /// <summary>Restores a state returned by <see cref="get_state"/>.</summary>
    public void set_state(Tensor state) => Check(rl_generator_set_state(Handle, state.H));

    /// <summary>Frees the native generator.</summary>
    public void Dispose() => Handle.Dispose();
}
