using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// The training flag of a module and of every descendant, to put back exactly after a pass in eval
/// mode: methods own their modules' modes (a frozen stage or an EMA target stays in eval mode), so
/// feature extraction and sample grids restore what they found instead of calling train() on all.
/// </summary>
public sealed class ModuleModes : IDisposable
{
    private readonly List<(Module Module, bool Training)> modes;

    private ModuleModes(IEnumerable<Module> roots) =>
        modes = roots.SelectMany(r => r.named_modules()).Select(m => (m.module, m.module.training)).ToList();

    /// <summary>Records the modes of <paramref name="roots"/> and their descendants, then switches them all to eval mode; disposing restores them.</summary>
    public static ModuleModes Eval(params IEnumerable<Module> roots)
    {
        var saved = new ModuleModes(roots);
        foreach (var (m, _) in saved.modes) m.eval();
        return saved;
    }

    /// <summary>Restores each module's own flag (parents first, so a child's flag wins over its parent's).</summary>
    public void Dispose()
    {
        foreach (var (m, training) in modes)
        {
            // train() sets the whole subtree; the children's own flags follow later in the list.
            m.train(training);
        }
    }
}
