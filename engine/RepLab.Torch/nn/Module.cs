namespace RepLab.Torch;

/// <summary>
/// PyTorch's <c>nn.Module</c>: named parameters, buffers and children, train/eval,
/// device moves and state dicts whose keys and order match PyTorch's.
/// Parameters and buffers belong to the module (never to a dispose scope) and are freed
/// by <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor?>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor?>> _buffers = [];
    private readonly HashSet<string> nonPersistent = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>Whether the module is in training mode (dropout active, batch statistics used).</summary>
    public bool training { get; private set; } = true;

    /// <summary>The module's own forward pass for single-input modules.</summary>
    public virtual Tensor forward(Tensor input) =>
        throw new InvalidOperationException($"{GetType().Name} has no single-input forward");

    /// <summary>Python's <c>module(x)</c>: runs <see cref="forward"/> (C# has no call operator; there are no forward hooks).</summary>
    public Tensor call(Tensor input) => forward(input);

    // ---- registration ----

    /// <summary><c>Module.register_parameter</c>: registers <paramref name="tensor"/> as the parameter <paramref name="name"/> (replacing one of that name, keeping its position), takes it out of any dispose scope (the module owns and frees it) and turns on <c>requires_grad</c> for floating-point tensors. Returns the tensor, so a constructor can write <c>weight = register_parameter("weight", ...)</c>. Unlike PyTorch, assigning a field does not register anything: call this.</summary>
    protected Tensor register_parameter(string name, Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        if (!tensor.requires_grad && tensor.dtype.IsFloatingPoint()) tensor.requires_grad = true;
        Set(_parameters, name, tensor);
        return tensor;
    }

    /// <summary><c>Module.register_buffer</c>: registers <paramref name="tensor"/> as the buffer <paramref name="name"/> (state without gradient, e.g. running statistics); non-<paramref name="persistent"/> buffers stay out of <see cref="state_dict"/>. The module owns it. Returns the tensor.</summary>
    protected Tensor register_buffer(string name, Tensor tensor, bool persistent = true)
    {
        tensor.DetachFromDisposeScope();
        Set(_buffers, name, tensor);
        if (!persistent) nonPersistent.Add(name);
        return tensor;
    }

    /// <summary><c>Module.register_module</c> (<c>add_module</c>): registers <paramref name="module"/> as the child <paramref name="name"/>, whose parameters then appear as <c>name.param</c>. Returns the module. Unlike PyTorch, assigning a field does not register it: call this.</summary>
    protected T register_module<T>(string name, T module) where T : Module
    {
        var i = _children.FindIndex(kv => kv.Key == name);
        if (i >= 0) _children[i] = new(name, module);
        else _children.Add(new(name, module));
        return module;
    }

    private static void Set(List<KeyValuePair<string, Tensor?>> list, string name, Tensor? t)
    {
        var i = list.FindIndex(kv => kv.Key == name);
        if (i >= 0) list[i] = new(name, t);
        else list.Add(new(name, t));
    }

    // ---- listings ----

    /// <summary><c>Module.named_children</c>: the direct children with their names, in registration order.</summary>
    public IEnumerable<(string name, Module module)> named_children() => _children.Select(kv => (kv.Key, kv.Value));

    /// <summary><c>Module.children</c>: the direct children in registration order.</summary>
    public IEnumerable<Module> children() => _children.Select(kv => kv.Value);

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in named_children())
            foreach (var m in child.named_modules(prefix.Length == 0 ? name : $"{prefix}.{name}"))
                yield return m;
    }

    /// <summary><c>Module.named_parameters</c>: the parameters with dotted names (<c>layer1.0.conv1.weight</c>), in PyTorch's order; only this module's own with <paramref name="recurse"/> false. The tensors are the module's own, not copies: do not dispose them.</summary>
    public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true)
    {
        foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
            foreach (var kv in m._parameters)
                if (kv.Value is not null) yield return (Join(prefix, kv.Key), kv.Value);
    }

    /// <summary><c>Module.parameters</c>: the parameters in PyTorch's order, e.g. for an optimizer (the module's own tensors, not copies).</summary>
    public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

    /// <summary><c>Module.named_buffers</c>: the buffers (persistent or not) with dotted names.</summary>
    public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
    {
        foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
            foreach (var kv in m._buffers)
                if (kv.Value is not null) yield return (Join(prefix, kv.Key), kv.Value);
    }

    /// <summary>The number of elements over all parameters (optionally only trainable ones).</summary>
    public long parameter_count(bool trainable_only = false) =>
        parameters().Where(p => !trainable_only || p.requires_grad).Sum(p => p.numel());

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    // ---- modes and devices ----

    /// <summary><c>Module.train</c>: sets training mode (or evaluation with false) on this module and every descendant; returns this module.</summary>
    public Module train(bool mode = true)
    {
        foreach (var (_, m) in named_modules()) m.training = mode;
        return this;
    }

    /// <summary><c>Module.eval</c>: <c>train(false)</c>; returns this module.</summary>
    public Module eval() => train(false);

    /// <summary>Sets requires_grad on every parameter (false freezes the module).</summary>
    public Module requires_grad_(bool value = true)
    {
        foreach (var p in parameters()) p.requires_grad = value;
        return this;
    }

    /// <summary>Moves parameters and buffers in place, keeping every tensor's identity (optimizers stay valid).</summary>
    public Module to(Device device, ScalarType? dtype = null)
    {
        foreach (var t in parameters().Concat(named_buffers().Select(b => b.buffer)))
        {
            var target = t.dtype.IsFloatingPoint() ? dtype : null;
            if (t.device == device && (target is null || target == t.dtype)) continue;
            using var moved = t.detach().to(device, target);
            using (torch.no_grad()) t.set_data(moved);
        }
        return this;
    }

    /// <summary>Clears the gradient of every parameter (set to none, as PyTorch 2 does by default).</summary>
    public void zero_grad()
    {
        foreach (var p in parameters()) p.grad = null;
    }

    // ---- state dicts ----

    /// <summary>Parameters and persistent buffers by dotted name, in PyTorch's order; the tensors are aliases owned by the caller.</summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (prefix, m) in named_modules())
        {
            foreach (var kv in m._parameters)
                if (kv.Value is not null) result[Join(prefix, kv.Key)] = kv.Value.detach();
            foreach (var kv in m._buffers)
                if (kv.Value is not null && !m.nonPersistent.Contains(kv.Key)) result[Join(prefix, kv.Key)] = kv.Value.detach();
        }
        return result;
    }

    /// <summary>
    /// Copies tensors into this module's parameters and buffers. Every missing, unexpected or
    /// mis-shaped entry is reported together; with <paramref name="strict"/> (the default) any of
    /// them is an error and nothing is copied.
    /// </summary>
    public StateDictReport load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = new Dictionary<string, Tensor>();
        foreach (var (n, p) in named_parameters()) own[n] = p;
        foreach (var (prefix, m) in named_modules())
            foreach (var kv in m._buffers)
                if (kv.Value is not null && !m.nonPersistent.Contains(kv.Key)) own[Join(prefix, kv.Key)] = kv.Value;

        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = own.Where(kv => state.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint [{string.Join(", ", state[kv.Key].shape)}], model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        var report = new StateDictReport(missing, unexpected, mismatched);
        if (mismatched.Count > 0 || (strict && !report.Clean)) throw new StateDictException(report);
        using (torch.no_grad())
            foreach (var (name, target) in own)
                if (state.TryGetValue(name, out var src)) target.copy_(src);
        return report;
    }

    /// <summary>Frees every parameter and buffer of this module and its descendants now (the GC cannot see their native memory).</summary>
    public void Dispose()
    {
        foreach (var t in parameters().Concat(named_buffers().Select(b => b.buffer)).ToList()) t.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The type name and parameter count, e.g. <c>ResNet(11,173,962 parameters)</c> (PyTorch prints the whole module tree).</summary>
    public override string ToString() => $"{GetType().Name}({parameter_count():N0} parameters)";
}

/// <summary>What loading a state dict found: names missing from it, names the model lacks, and shape mismatches.</summary>
public sealed record StateDictReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Mismatched)
{
    /// <summary>Whether every name matched and every shape agreed.</summary>
    public bool Clean => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>The missing, unexpected and mis-shaped names, or "all tensors matched".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"missing: {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected: {string.Join(", ", Unexpected)}");
        if (Mismatched.Count > 0) parts.Add($"shape mismatch: {string.Join("; ", Mismatched)}");
        return parts.Count == 0 ? "all tensors matched" : string.Join(" | ", parts);
    }
}

/// <summary>Thrown by <see cref="Module.load_state_dict"/> when a state dict does not fit the model (a shape mismatch, or any missing or unexpected name when strict); nothing has been copied.</summary>
public sealed class StateDictException(StateDictReport report) : Exception($"state dict does not fit the model: {report}")
{
    /// <summary>Everything that did not fit.</summary>
    public StateDictReport Report { get; } = report;
}
