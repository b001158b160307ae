namespace RepLab.Torch;

/// <summary>PyTorch's <c>torch.optim</c>: optimizers that update parameters in place, and LR schedules.</summary>
public static partial class optim
{
    /// <summary>A set of parameters sharing hyper-parameters (PyTorch's param group).</summary>
    public sealed class ParamGroup
    {
        /// <summary>A group of <paramref name="parameters"/> with its own hyper-parameters, e.g. <c>new ParamGroup(head.parameters(), new Dictionary&lt;string, double&gt; { ["lr"] = 0.1 })</c> (PyTorch's <c>{"params": ..., "lr": 0.1}</c> dict).</summary>
        public ParamGroup(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double>? options = null)
        {
            Params = parameters.ToList();
            if (options is not null)
                foreach (var kv in options) Options[kv.Key] = kv.Value;
        }

        /// <summary>The group's parameters (PyTorch's <c>group["params"]</c>).</summary>
        public List<Tensor> Params { get; }

        /// <summary>Hyper-parameters of this group; keys absent here take the optimizer's defaults.</summary>
        public Dictionary<string, double> Options { get; } = [];

        /// <summary>The group's current learning rate, <c>Options["lr"]</c> (PyTorch's <c>group["lr"]</c>); schedules set it.</summary>
        public double lr
        {
            get => Options["lr"];
            set => Options["lr"] = value;
        }

        /// <summary>The lr this group started with (schedules scale from it).</summary>
        public double initial_lr { get; internal set; }
    }

    /// <summary>
    /// Base of every optimizer: parameter groups, per-parameter state tensors, zero_grad and a
    /// state dict that round-trips through safetensors (tensors by "state.{index}.{name}", group
    /// hyper-parameters as metadata).
    /// </summary>
    public abstract class Optimizer : IDisposable
    {
        private readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);

        /// <summary>Fills each group's missing options from <paramref name="defaults"/> and records its initial lr; throws when there are no parameters.</summary>
        protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
        {
            param_groups = groups.ToList();
            if (param_groups.Count == 0 || param_groups.All(g => g.Params.Count == 0))
                throw new ArgumentException("optimizer got an empty parameter list");
            foreach (var g in param_groups)
            {
                foreach (var kv in defaults) g.Options.TryAdd(kv.Key, kv.Value);
                g.initial_lr = g.lr;
            }
        }

        /// <summary><c>Optimizer.param_groups</c>: the parameter groups, in order.</summary>
        public IReadOnlyList<ParamGroup> param_groups { get; }

        /// <summary>Steps taken so far.</summary>
        public long step_count { get; private set; }

        /// <summary>
        /// A schedule counted in optimizer steps: before every <see cref="step"/> it sets each group's
        /// lr for the current step count, in closed form, so it follows this optimizer's own steps
        /// (a GAN's two optimizers, a phase that trains one group) and resumes with the step count.
        /// </summary>
        public lr_scheduler.LRScheduler? per_step_schedule { get; set; }

        private readonly List<Action<Optimizer>> preStepHooks = [];

        /// <summary>
        /// Calls <paramref name="hook"/> at the start of every <see cref="step"/>, before any parameter
        /// changes (PyTorch's <c>register_step_pre_hook</c>): data-parallel training averages the gradients
        /// across processes there. Disposing the returned handle removes the hook.
        /// </summary>
        public IDisposable register_step_pre_hook(Action<Optimizer> hook)
        {
            preStepHooks.Add(hook);
            return new HookHandle(() => preStepHooks.Remove(hook));
        }

        private sealed class HookHandle(Action remove) : IDisposable
        {
            public void Dispose() => remove();
        }

        /// <summary>Clears every gradient (set to none, PyTorch 2's default).</summary>
        public void zero_grad()
        {
            foreach (var g in param_groups)
                foreach (var p in g.Params) p.grad = null;
        }

        /// <summary>One update of every parameter that has a gradient, without recording autograd history.</summary>
        public void step()
        {
            using var scope = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            per_step_schedule?.set_epoch(step_count);
            foreach (var hook in preStepHooks) hook(this);
            foreach (var group in param_groups)
                foreach (var p in group.Params)
                {
                    using var grad = p.grad;
                    if (grad is null) continue;
                    update(group, p, grad, StateOf(p));
                }
            step_count++;
        }

        /// <summary>Updates one parameter in place from its gradient; state tensors made here must be stored with <see cref="Keep"/>.</summary>
        protected abstract void update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state);

        private Dictionary<string, Tensor> StateOf(Tensor p)
        {
            if (!state.TryGetValue(p, out var s)) state[p] = s = [];
            return s;
        }

        /// <summary>Stores a tensor made inside a step as persistent optimizer state.</summary>
        protected static Tensor Keep(Dictionary<string, Tensor> state, string name, Tensor t)
        {
            t.DetachFromDisposeScope();
            if (state.TryGetValue(name, out var old)) old.Dispose();
            state[name] = t;
            return t;
        }

        private IEnumerable<(int index, Tensor param)> Indexed() =>
            param_groups.SelectMany(g => g.Params).Select((p, i) => (i, p));

        /// <summary>State tensors by "state.{parameter index}.{name}" and hyper-parameters as metadata.</summary>
        public (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) state_dict()
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (i, p) in Indexed())
                if (state.TryGetValue(p, out var s))
                    foreach (var kv in s) tensors[$"state.{i}.{kv.Key}"] = kv.Value.detach();
            var metadata = new Dictionary<string, string> { ["optimizer"] = GetType().Name, ["step_count"] = step_count.ToString() };
            for (var g = 0; g < param_groups.Count; g++)
                foreach (var kv in param_groups[g].Options)
                    metadata[$"param_groups.{g}.{kv.Key}"] = kv.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            return (tensors, metadata);
        }

        /// <summary>Restores a state from <see cref="state_dict"/> (for example after a round trip through safetensors): copies the state tensors, the groups' hyper-parameters and the step count. Throws when the state was saved by another optimizer type or names a parameter index this optimizer lacks.</summary>
        public void load_state_dict(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
        {
            if (metadata.TryGetValue("optimizer", out var kind) && kind != GetType().Name)
                throw new ArgumentException($"optimizer state was saved by {kind}, not {GetType().Name}");
            var byIndex = Indexed().ToDictionary(x => x.index, x => x.param);
            foreach (var (key, t) in tensors)
            {
                var parts = key.Split('.', 3);
                if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out var i) || !byIndex.TryGetValue(i, out var p))
                    throw new ArgumentException($"optimizer state has an unexpected entry '{key}'");
                Keep(StateOf(p), parts[2], t.clone());
            }
            foreach (var (key, value) in metadata)
            {
                var parts = key.Split('.', 3);
                if (parts.Length == 3 && parts[0] == "param_groups" && int.TryParse(parts[1], out var g) && g < param_groups.Count)
                    param_groups[g].Options[parts[2]] = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            if (metadata.TryGetValue("step_count", out var sc)) step_count = long.Parse(sc);
        }

        /// <summary>Frees the optimizer's state tensors (momentum buffers, moments). The parameters belong to the model and are left alone.</summary>
        public void Dispose()
        {
            foreach (var s in state.Values)
                foreach (var t in s.Values) t.Dispose();
            state.Clear();
        }
    }

    private static IEnumerable<ParamGroup> One(IEnumerable<Tensor> parameters) => [new ParamGroup(parameters)];

    /// <summary>SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's torch.optim.SGD).</summary>
    public sealed class SGD : Optimizer
    {
        /// <summary><c>torch.optim.SGD</c> over parameter groups. <paramref name="lr"/> is required, as in PyTorch. <paramref name="weight_decay"/> is added to the gradient (L2); <paramref name="nesterov"/> needs a momentum and zero dampening.</summary>
        public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false)
            : base(groups, new Dictionary<string, double>
            {
                ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weight_decay, ["nesterov"] = nesterov ? 1 : 0,
            })
        {
            if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }

        /// <summary><c>torch.optim.SGD(model.parameters(), lr, ...)</c>: one group holding <paramref name="parameters"/>.</summary>
        public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false)
            : this(One(parameters), lr, momentum, dampening, weight_decay, nesterov) { }

        /// <summary>One SGD step for <paramref name="param"/>, as PyTorch computes it: <c>d = g + wd·p</c>; <c>buf = momentum·buf + (1 - dampening)·d</c> (the first buffer is <c>d</c>); <c>d = d + momentum·buf</c> with Nesterov, else <c>buf</c>; <c>p -= lr·d</c>.</summary>
        protected override void update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
        {
            var o = group.Options;
            var d = grad;
            if (o["weight_decay"] != 0) d = d.add(param, o["weight_decay"]);
            var momentum = o["momentum"];
            if (momentum != 0)
            {
                if (!state.TryGetValue("momentum_buffer", out var buf)) buf = Keep(state, "momentum_buffer", d.clone());
                else buf.mul_(momentum).add_(d, 1 - o["dampening"]);
                d = o["nesterov"] != 0 ? d.add(buf, momentum) : buf;
            }
            param.add_(d, -group.lr);
        }
    }

    /// <summary>Adam (Kingma &amp; Ba, 2015) with optional L2 weight decay and AMSGrad; AdamW when decoupled.</summary>
    public class Adam : Optimizer
    {
        private readonly bool decoupled;

        /// <summary><c>torch.optim.Adam</c> over parameter groups. PyTorch's <c>betas=(0.9, 0.999)</c> tuple is two arguments here, <paramref name="beta1"/> and <paramref name="beta2"/> (as in TorchSharp). <paramref name="weight_decay"/> is L2 added to the gradient; for decoupled decay use <see cref="AdamW"/>.</summary>
        public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
            double weight_decay = 0, bool amsgrad = false)
            : this(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled: false) { }

        /// <summary><c>torch.optim.Adam(model.parameters(), ...)</c>: one group holding <paramref name="parameters"/>.</summary>
        public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
            double weight_decay = 0, bool amsgrad = false)
            : this(One(parameters), lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled: false) { }

        /// <summary>Adam or, with <paramref name="decoupled"/>, AdamW (weight decay applied to the parameter, not the gradient).</summary>
        protected Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool decoupled)
            : base(groups, new Dictionary<string, double>
            {
                ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weight_decay, ["amsgrad"] = amsgrad ? 1 : 0,
            }) => this.decoupled = decoupled;

        /// <summary>One Adam step for <paramref name="param"/> with bias correction (and AMSGrad's running maximum when enabled), as PyTorch's single-tensor implementation computes it; the state holds <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c> (and <c>max_exp_avg_sq</c>).</summary>
        protected override void update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
        {
            var o = group.Options;
            double lr = group.lr, beta1 = o["beta1"], beta2 = o["beta2"], wd = o["weight_decay"];
            if (!state.ContainsKey("step"))
            {
                Keep(state, "step", torch.zeros([], ScalarType.Float32));
                Keep(state, "exp_avg", torch.zeros_like(param));
                Keep(state, "exp_avg_sq", torch.zeros_like(param));
                if (o["amsgrad"] != 0) Keep(state, "max_exp_avg_sq", torch.zeros_like(param));
            }
            var stepT = state["step"].add_(1L);
            var step = stepT.item();
            if (wd != 0)
            {
                if (decoupled) param.mul_(1 - lr * wd);
                else grad = grad.add(param, wd);
            }
            var expAvg = state["exp_avg"].mul_(beta1).add_(grad, 1 - beta1);
            var expAvgSq = state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
            var bc1 = 1 - Math.Pow(beta1, step);
            var bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
            var second = expAvgSq;
            if (o["amsgrad"] != 0) second = state["max_exp_avg_sq"].maximum_(expAvgSq);
            var denom = second.sqrt().div_(bc2Sqrt).add_(o["eps"]);
            param.addcdiv_(expAvg, denom, -lr / bc1);
        }
    }

    /// <summary>AdamW (Loshchilov &amp; Hutter, 2019): Adam with weight decay decoupled from the gradient.</summary>
    public sealed class AdamW : Adam
    {
        /// <summary><c>torch.optim.AdamW</c> over parameter groups: <c>p *= 1 - lr·weight_decay</c> before the Adam step. The default <paramref name="weight_decay"/> is 0.01, as in PyTorch.</summary>
        public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
            double weight_decay = 1e-2, bool amsgrad = false)
            : base(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled: true) { }

        /// <summary><c>torch.optim.AdamW(model.parameters(), ...)</c>: one group holding <paramref name="parameters"/>.</summary>
        public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
            double weight_decay = 1e-2, bool amsgrad = false)
            : base(One(parameters), lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled: true) { }
    }

    /// <summary>
    /// LARS (You et al., 2017) as SimCLR uses it (Chen et al., 2020): momentum SGD whose step for
    /// each weight is scaled by the trust ratio eta * ||w|| / ||g + wd * w||. Parameters with one
    /// dimension (biases, normalisation scales) get neither weight decay nor adaptation, unless a
    /// group sets "exclude_1d" to 0.
    /// </summary>
    public sealed class LARS : Optimizer
    {
        /// <summary>LARS over parameter groups (not in <c>torch.optim</c>; SimCLR's reference implementation). <paramref name="eta"/> is the trust coefficient; <paramref name="exclude_1d"/> exempts biases and normalisation parameters.</summary>
        public LARS(IEnumerable<ParamGroup> groups, double lr, double momentum = 0.9, double weight_decay = 1e-6, double eta = 0.001,
            bool exclude_1d = true)
            : base(groups, new Dictionary<string, double>
            {
                ["lr"] = lr, ["momentum"] = momentum, ["weight_decay"] = weight_decay, ["eta"] = eta, ["exclude_1d"] = exclude_1d ? 1 : 0,
            }) { }

        /// <summary>LARS over one group holding <paramref name="parameters"/>.</summary>
        public LARS(IEnumerable<Tensor> parameters, double lr, double momentum = 0.9, double weight_decay = 1e-6, double eta = 0.001,
            bool exclude_1d = true)
            : this(One(parameters), lr, momentum, weight_decay, eta, exclude_1d) { }

        /// <summary>One LARS step: <c>g = grad + wd·p</c> and <c>lr_local = lr·eta·‖p‖/‖g‖</c> (unless excluded), then <c>buf = momentum·buf + lr_local·g</c>, <c>p -= buf</c>.</summary>
        protected override void update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
        {
            var o = group.Options;
            var lr = group.lr;
            var excluded = o["exclude_1d"] != 0 && param.dim() <= 1;
            var g = grad;
            if (!excluded)
            {
                if (o["weight_decay"] != 0) g = g.add(param, o["weight_decay"]);
                var wNorm = param.norm().item();
                var gNorm = g.norm().item();
                if (wNorm > 0 && gNorm > 0) lr *= o["eta"] * wNorm / gNorm;
            }
            if (!state.TryGetValue("momentum_buffer", out var buf)) buf = Keep(state, "momentum_buffer", torch.zeros_like(param));
            buf.mul_(o["momentum"]).add_(g, lr);
            param.sub_(buf);
        }
    }

    /// <summary>Scales gradients so their joint norm is at most <paramref name="max_norm"/>; returns the norm before clipping.</summary>
    public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var norms = grads.Select(g => g.norm(norm_type)).ToList();
        var total = torch.stack(norms).norm(norm_type);
        var coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coef);
        return total.item();
    }
}
