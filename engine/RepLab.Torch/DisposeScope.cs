namespace RepLab.Torch;

/// <summary>
/// Frees every tensor created on this thread while it is the innermost open scope,
/// except those moved out with <see cref="Tensor.MoveToOuterScope"/> or
/// <see cref="Tensor.DetachFromDisposeScope"/>. The host opens one per training step,
/// so a step's temporaries never pile up in native memory the GC cannot see.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly List<Tensor> tensors = [];
    private bool disposed;

    internal DisposeScope()
    {
        Outer = current;
        current = this;
    }

    internal static DisposeScope? Current => current;

    internal DisposeScope? Outer { get; }

    /// <summary>Tensors this scope will free.</summary>
    public int Count => tensors.Count(t => t.Scope == this && !t.IsDisposed);

    internal void Add(Tensor t) => tensors.Add(t);

    /// <summary>Frees every tensor this scope still owns and makes the enclosing scope current again (idempotent).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in tensors)
            if (t.Scope == this) t.Dispose();
        tensors.Clear();
        // Scopes are closed innermost first; a scope closed out of order unwinds to its outer one.
        if (current == this) current = Outer;
    }
}
