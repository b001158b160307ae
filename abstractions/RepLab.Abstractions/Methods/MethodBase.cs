using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>
/// Optional base of a method: keeps the setup, registers the modules it makes (moved to the run's
/// device, checkpointed under their names) and the optimizers it creates (by group), and evaluates
/// the setup's encoder unless <see cref="Representation"/> is overridden. The setup's encoder is
/// registered as <c>encoder</c>.
/// </summary>
public abstract class MethodBase : IMethod
{
    private readonly Dictionary<string, Module> modules = [];
    private readonly Dictionary<string, optim.Optimizer> optimizers = [];
    private MethodSetup? setup;

    /// <inheritdoc />
    public abstract MethodNeeds Needs { get; }

    /// <summary>What the method was built with.</summary>
    protected MethodSetup Setup => setup ?? throw new InvalidOperationException($"{GetType().Name} is not built yet");

    /// <summary>The experiment's encoder.</summary>
    protected EncoderModule Encoder => Setup.Encoder;

    /// <inheritdoc />
    public virtual EncoderModule Representation => Encoder;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Module> Modules => modules;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, optim.Optimizer> Optimizers => optimizers;

    /// <inheritdoc />
    public void Build(MethodSetup setup)
    {
        this.setup = setup;
        modules["encoder"] = setup.Encoder;
        Build();
    }

    /// <summary>Makes the method's networks (<see cref="Add{T}"/>) and optimizers (<see cref="Optimize(string, IEnumerable{optim.ParamGroup})"/>).</summary>
    protected abstract void Build();

    /// <inheritdoc />
    public abstract void Step(TrainBatch batch, IRunContext context);

    /// <summary>Registers <paramref name="module"/> under <paramref name="name"/> (its checkpoint prefix) and moves it to the run's device.</summary>
    protected T Add<T>(string name, T module) where T : Module
    {
        if (!modules.TryAdd(name, module)) throw new ArgumentException($"{GetType().Name} registers two modules named '{name}'");
        module.to(Setup.Device);
        return module;
    }

    /// <summary>The optimizer of declared group <paramref name="group"/> over <paramref name="parameters"/>, registered for checkpoints.</summary>
    protected optim.Optimizer Optimize(string group, IEnumerable<optim.ParamGroup> parameters)
    {
        var optimizer = Setup.Optimizers.Create(group, parameters);
        if (!optimizers.TryAdd(group, optimizer)) throw new ArgumentException($"{GetType().Name} creates two optimizers for group '{group}'");
        return optimizer;
    }

    /// <summary>The optimizer of declared group <paramref name="group"/> over the parameters of <paramref name="parts"/>, registered for checkpoints.</summary>
    protected optim.Optimizer Optimize(string group, params IEnumerable<Module> parts) =>
        Optimize(group, [new optim.ParamGroup(parts.SelectMany(m => m.parameters()))]);

    /// <summary>One gradient step of <paramref name="optimizer"/> on <paramref name="loss"/>: zero its gradients, backward, step.</summary>
    protected static void Minimize(optim.Optimizer optimizer, Tensor loss)
    {
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }

    /// <summary>The declaration of a method with one optimizer group <paramref name="group"/>.</summary>
    protected static MethodNeeds OneGroup(OptimizerDefaults defaults, int views = 0, string group = "all") => new()
    {
        Views = views,
        OptimizerGroups = new Dictionary<string, OptimizerDefaults> { [group] = defaults },
    };
}
