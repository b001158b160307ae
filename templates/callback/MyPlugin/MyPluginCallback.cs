using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace MyPlugin;

/// <summary>Options of the <c>my-plugin</c> callback.</summary>
public sealed record MyPluginOptions : PluginOptions
{
    /// <summary>Log every this many steps (default 10).</summary>
    [Range(1, int.MaxValue)]
    public int Every { get; init; } = 10;
}

/// <summary>
/// Logs <c>diag/weight-norm</c>, the L2 norm of all the representation's parameters, every <c>every</c> steps
/// and at each epoch's end. It reads the modules and never changes them or their modes.
/// </summary>
[Plugin("my-plugin", Summary = "log the L2 norm of the representation's weights every N steps")]
public sealed class MyPluginCallback(MyPluginOptions options) : ITrainingCallback
{
    private long steps;

    public bool NeedsEvaluationData => false;

    public void OnStepEnd(TrainingState state)
    {
        if (++steps % options.Every == 0) state.Context.Log("diag/weight-norm", WeightNorm(state.Representation));
    }

    public void OnEpochEnd(TrainingState state) => state.Context.Log("diag/weight-norm", WeightNorm(state.Representation));

    /// <summary>sqrt of the sum of squares of every parameter of <paramref name="module"/>.</summary>
    public static double WeightNorm(Module module)
    {
        using var ng = torch.no_grad();
        return Math.Sqrt(module.parameters().Sum(p => p.pow(2).sum().item()));
    }
}
