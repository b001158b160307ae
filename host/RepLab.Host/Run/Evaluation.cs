using System.Diagnostics;
using RepLab.Abstractions;
using RepLab.Host.Experiment;

namespace RepLab.Host.Run;

/// <summary>
/// The experiment's evaluators over its labelled splits: the one object that the loop (periodic
/// evaluation), the callbacks and the end of the run share. It owns the splits it loaded.
/// </summary>
internal sealed class Evaluation(IReadOnlyList<PluginChoice> evaluators, EvaluationSets? sets, IRunContext context)
{
    /// <summary>Whether the experiment names any evaluator.</summary>
    public bool Any => evaluators.Count > 0;

    /// <summary>The labelled splits, fresh for one use (a callback's), or null when none were loaded.</summary>
    public EvaluationData? Data() => sets is null ? null : new EvaluationData(sets.Probe, sets.Test);

    /// <summary>Every evaluator on <paramref name="representation"/>, in the experiment's order; each metric printed with its time.</summary>
    public Dictionary<string, double> Run(EncoderModule representation)
    {
        var metrics = new Dictionary<string, double>();
        using var data = Data()!;
        foreach (var choice in evaluators)
        {
            context.Stopping.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            foreach (var (k, v) in choice.As<IEvaluator>().Evaluate(representation, data, context))
            {
                metrics[k] = v;
                Console.WriteLine($"{k} = {v:F4}   ({choice.Descriptor.Name}, {clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        return metrics;
    }
}
