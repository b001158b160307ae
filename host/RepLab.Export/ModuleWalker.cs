using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Export;

/// <summary>
/// Walks a module's eval-mode forward once into <see cref="Step"/>s with static shapes: the engine's
/// layers by type, anything else through <see cref="IExportable"/>, and a refusal naming the state
/// path and type of any other module. Values get SSA names (<c>conv_3</c>); the input is <c>images</c>.
/// </summary>
internal sealed class ModuleWalker : IExportGraph
{
    /// <summary>The engine layers the walker knows by type, as the refusal lists them.</summary>
    public const string Supported = "Conv2d, BatchNorm1d, BatchNorm2d (eval mode, with running statistics), Linear, ReLU, LeakyReLU, "
        + "Flatten, Identity, Sequential, MaxPool2d, AvgPool2d, AdaptiveMaxPool2d, AdaptiveAvgPool2d";

    private readonly Dictionary<Module, string> paths = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Tensor> state;
    private readonly List<Step> steps = [];
    private readonly List<Module> walking = [];  // the modules being exported, outermost first: cycles, and where an unregistered module sits
    private readonly Module root;
    private int counter;

    private ModuleWalker(Module root)
    {
        this.root = root;
        foreach (var (name, m) in root.named_modules()) paths.TryAdd(m, name);
        state = root.state_dict();
    }

    /// <summary>
    /// The trace of <paramref name="representation"/>'s forward for images shaped <paramref name="input"/>,
    /// keeping only the steps its output needs. Throws <see cref="ExportNotSupportedException"/> for a module it cannot write.
    /// </summary>
    public static ExportTrace Walk(EncoderModule representation, ImageShape input)
    {
        var walker = new ModuleWalker(representation);
        try
        {
            var images = new ExportValue("images", [ExportValue.Batch, input.Channels, input.Height, input.Width]);
            var output = walker.Module(representation, images);
            if (output.Rank != 2 || output.Shape[1] != representation.Features)
                throw new ExportNotSupportedException("the exported module", TypeName(representation),
                    $"export: {TypeName(representation)} describes a forward that gives [{Dims(output)}], not its [batch, {representation.Features}] features");
            return new ExportTrace(representation, input, images, output, Live(walker.steps, output), walker.paths, walker.state);
        }
        catch (NotSupportedException e)
        {
            // The SDK's own refusal (EncoderModule.ExportFeatureMaps): the encoder's to fix, said like any other.
            foreach (var t in walker.state.Values) t.Dispose();
            var at = walker.walking.Count > 0 ? walker.walking[^1] : representation;
            throw new ExportNotSupportedException(walker.Where(at), TypeName(at), $"export: {e.Message}");
        }
        catch
        {
            foreach (var t in walker.state.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The steps <paramref name="output"/> depends on, in their order (a stage the features do not read is left out).</summary>
    private static List<Step> Live(List<Step> steps, ExportValue output)
    {
        var needed = new HashSet<string> { output.Name };
        var live = new List<Step>();
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            if (!needed.Contains(steps[i].Output.Name)) continue;
            live.Add(steps[i]);
            foreach (var v in steps[i].Inputs) needed.Add(v.Name);
        }
        live.Reverse();
        return live;
    }

    public ExportValue Module(Module module, ExportValue input)
    {
        if (walking.Any(m => ReferenceEquals(m, module)))
            throw new ExportNotSupportedException(Where(module), TypeName(module), $"export: {Where(module)} ({TypeName(module)}) exports itself again while exporting");
        walking.Add(module);
        try
        {
            return Layer(module, input);
        }
        finally
        {
            walking.RemoveAt(walking.Count - 1);
        }
    }

    private ExportValue Layer(Module module, ExportValue x) => module switch
    {
        IExportable e => e.Export(this, x),
        nn.Sequential s => Enumerable.Range(0, s.Count).Aggregate(x, (v, i) => Module(s[i], v)),
        nn.Conv2d c => Conv(c, x),
        nn.BatchNorm b => BatchNorm(b, x),
        nn.Linear l => Linear(l, x),
        nn.ReLU => Relu(x),
        nn.LeakyReLU l => LeakyRelu(x, l.negative_slope),
        nn.Flatten f => Flatten(x, f.start_dim, f.end_dim),
        nn.Identity => x,
        nn.MaxPool2d p => Pool(x, true, p.kernel_size, p.stride, p.padding),
        nn.AvgPool2d p => Pool(x, false, p.kernel_size, p.stride, p.padding),
        nn.AdaptiveMaxPool2d p => AdaptivePool(x, true, p.output_size),
        nn.AdaptiveAvgPool2d p => AdaptivePool(x, false, p.output_size),
        _ => throw Refuse(module, "which the exporter does not support"),
    };

    private ExportNotSupportedException Refuse(Module module, string why) =>
        new(Where(module), TypeName(module),
            $"{Where(module)} is a {TypeName(module)}, {why} (supported: {Supported}); "
            + "a custom layer can implement RepLab.Abstractions.IExportable");

    /// <summary>The module's state path; for one outside the tree (a stage's view), the module it was reached from.</summary>
    private string Where(Module module)
    {
        if (paths.TryGetValue(module, out var path)) return path.Length == 0 ? "the exported module" : path;
        var owner = walking.LastOrDefault(m => paths.ContainsKey(m) && !ReferenceEquals(m, module));
        return owner is null ? "an unregistered module" : $"an unregistered module under {Where(owner)}";
    }

    /// <summary>The type's full name with nested types dotted (RepLab.Torch.nn.Conv2d).</summary>
    private static string TypeName(Module module) => module.GetType().FullName!.Replace('+', '.');

    private string PathOf(Module layer) => paths.TryGetValue(layer, out var path) && path.Length > 0
        ? path
        : throw new ExportNotSupportedException(Where(layer), TypeName(layer),
            $"{Where(layer)} is a {TypeName(layer)} with state that is not registered in the exported module's tree, so its tensors have no name to export under");

    private ExportValue Add(Step step)
    {
        steps.Add(step);
        return step.Output;
    }

    private ExportValue Value(string kind, IReadOnlyList<long> shape) => new($"{kind}_{++counter}", shape);

    private static string Dims(ExportValue v) => string.Join(", ", v.Shape.Select(d => d == ExportValue.Batch ? "batch" : d.ToString()));

    /// <summary>
    /// A described forward that cannot be right (shapes that do not fit): the encoder's to fix, so it is refused
    /// like an unsupported layer, at the module being walked.
    /// </summary>
    private void Expect(bool ok, string what)
    {
        if (ok) return;
        var at = walking.Count > 0 ? walking[^1] : root;
        throw new ExportNotSupportedException(Where(at), TypeName(at), $"export: {what}; the forward {Where(at)} ({TypeName(at)}) describes does not fit its layers");
    }

    // ---- the engine's layers ----

    private ExportValue Conv(nn.Conv2d c, ExportValue x)
    {
        var path = PathOf(c);
        var w = c.weight.shape;
        Expect(x.Rank == 4 && x.Shape[1] == w[1] * c.groups, $"{path} (Conv2d over {w[1] * c.groups} channels) got [{Dims(x)}]");
        long Side(int axis) => (x.Shape[axis + 2] + 2 * c.padding[axis] - c.dilation[axis] * (c.kernel_size[axis] - 1) - 1) / c.stride[axis] + 1;
        return Add(new LayerStep(Value("conv", [ExportValue.Batch, w[0], Side(0), Side(1)]), x, path, c));
    }

    private ExportValue BatchNorm(nn.BatchNorm b, ExportValue x)
    {
        if (b.running_mean is null) throw Refuse(b, "without running statistics (it normalises by each batch's even in eval mode), which the exporter does not support");
        var path = PathOf(b);
        var ranks = b is nn.BatchNorm2d ? new[] { 4 } : [2, 3];
        Expect(ranks.Contains(x.Rank) && x.Shape[1] == b.running_mean.size(0), $"{path} ({b.GetType().Name} of {b.running_mean.size(0)} channels) got [{Dims(x)}]");
        return Add(new LayerStep(Value("batchnorm", x.Shape), x, path, b));
    }

    private ExportValue Linear(nn.Linear l, ExportValue x)
    {
        if (x.Rank != 2) throw Refuse(l, $"on a {x.Rank}-D input, which the exporter does not support (a Linear layer on [batch, features] only)");
        var path = PathOf(l);
        Expect(x.Shape[1] == l.weight.size(1), $"{path} (Linear from {l.weight.size(1)}) got [{Dims(x)}]");
        return Add(new LayerStep(Value("linear", [ExportValue.Batch, l.weight.size(0)]), x, path, l));
    }

    private ExportValue Pool(ExportValue x, bool max, long kernel, long stride, long padding)
    {
        Expect(x.Rank == 4, $"a pooling layer got [{Dims(x)}]");
        long Side(long n) => (n + 2 * padding - kernel) / stride + 1;
        return Add(new PoolStep(Value(max ? "maxpool" : "avgpool", [ExportValue.Batch, x.Shape[1], Side(x.Shape[2]), Side(x.Shape[3])]), x, max, kernel, stride, padding));
    }

    private ExportValue AdaptivePool(ExportValue x, bool max, long size)
    {
        Expect(x.Rank == 4 && size > 0, $"adaptive pooling to {size} got [{Dims(x)}]");
        return Add(new AdaptivePoolStep(Value(max ? "adaptive_maxpool" : "adaptive_avgpool", [ExportValue.Batch, x.Shape[1], size, size]), x, max, size));
    }

    // ---- IExportGraph's operations ----

    public ExportValue State(Module owner, string name)
    {
        var path = paths.TryGetValue(owner, out var p) ? (p.Length == 0 ? name : $"{p}.{name}") : null;
        if (path is null || !state.TryGetValue(path, out var t))
            throw new ExportNotSupportedException(Where(owner), TypeName(owner),
                $"{Where(owner)} ({TypeName(owner)}) exports '{name}', which is not a parameter or persistent buffer of it in the exported module's tree");
        // One value per tensor however often it is read: its name is its state key.
        var read = steps.OfType<StateStep>().FirstOrDefault(st => st.Path == path);
        return read?.Output ?? Add(new StateStep(new ExportValue(path, t.shape), path));
    }

    public ExportValue Add(ExportValue a, ExportValue b) => Binary(a, b, BinaryOp.Add);

    public ExportValue Sub(ExportValue a, ExportValue b) => Binary(a, b, BinaryOp.Sub);

    public ExportValue Div(ExportValue a, ExportValue b) => Binary(a, b, BinaryOp.Div);

    private ExportValue Binary(ExportValue a, ExportValue b, BinaryOp op)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        long At(ExportValue v, int i) => i - (rank - v.Rank) is var j && j >= 0 ? v.Shape[j] : 1;
        var shape = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var (m, n) = (At(a, i), At(b, i));
            Expect(m == n || m == 1 || n == 1, $"{op} of [{Dims(a)}] and [{Dims(b)}] does not broadcast");
            shape[i] = m == 1 ? n : m;
        }
        return Add(new BinaryStep(Value(op.ToString().ToLowerInvariant(), shape), a, b, op));
    }

    public ExportValue Relu(ExportValue x) => Add(new ReluStep(Value("relu", x.Shape), x));

    public ExportValue LeakyRelu(ExportValue x, double negativeSlope) => Add(new LeakyReluStep(Value("leaky_relu", x.Shape), x, negativeSlope));

    public ExportValue Mean(ExportValue x, IReadOnlyList<long> dims, bool keepdim = false)
    {
        var axes = dims.Select(d => Axis(d, x.Rank, $"mean over {d}")).Distinct().Order().ToList();
        var shape = keepdim
            ? x.Shape.Select((s, i) => axes.Contains(i) ? 1 : s).ToList()
            : x.Shape.Where((_, i) => !axes.Contains(i)).ToList();
        return Add(new MeanStep(Value("mean", shape), x, axes, keepdim));
    }

    public ExportValue AdaptiveMaxPool(ExportValue x, long size) => AdaptivePool(x, true, size);

    public ExportValue Flatten(ExportValue x, long startDim = 1, long endDim = -1)
    {
        var (start, end) = (Axis(startDim, x.Rank, "flatten's start"), Axis(endDim, x.Rank, "flatten's end"));
        Expect(start <= end, $"flatten from {startDim} to {endDim} of [{Dims(x)}]");
        var merged = x.Shape.Skip((int)start).Take((int)(end - start + 1)).Aggregate(1L, (p, s) => p * s);
        var shape = x.Shape.Take((int)start).Append(merged).Concat(x.Shape.Skip((int)end + 1)).ToList();
        return Add(new FlattenStep(Value("flatten", shape), x, start, end));
    }

    public ExportValue Unsqueeze(ExportValue x, long dim)
    {
        var axis = Axis(dim, x.Rank + 1, "unsqueeze");
        var shape = x.Shape.ToList();
        shape.Insert((int)axis, 1);
        return Add(new UnsqueezeStep(Value("unsqueeze", shape), x, axis));
    }

    public ExportValue Concat(IReadOnlyList<ExportValue> values, long dim)
    {
        Expect(values.Count > 0, "concatenation of no values");
        var axis = Axis(dim, values[0].Rank, "concatenation");
        Expect(values.All(v => v.Rank == values[0].Rank && Enumerable.Range(0, v.Rank).All(i => i == axis || v.Shape[i] == values[0].Shape[i])),
            $"concatenation along {dim} of {string.Join(", ", values.Select(v => $"[{Dims(v)}]"))}");
        var shape = values[0].Shape.Select((s, i) => i == axis ? values.Sum(v => v.Shape[i]) : s).ToList();
        return Add(new ConcatStep(Value("concat", shape), values, axis));
    }

    /// <summary><paramref name="dim"/> of a <paramref name="rank"/>-D value made non-negative; the batch dimension is refused (its size is not known).</summary>
    private long Axis(long dim, int rank, string what)
    {
        var axis = dim < 0 ? dim + rank : dim;
        Expect(axis >= 1 && axis < rank, $"{what}: dimension {dim} of a {rank}-D value (the batch dimension 0 cannot be an operand)");
        return axis;
    }
}
