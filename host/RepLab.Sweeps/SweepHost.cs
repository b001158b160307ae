using RepLab.Abstractions;
using RepLab.Config;

namespace RepLab.Sweeps;

/// <summary>What binding a trial's config as <c>replab run</c> would tells the sweep.</summary>
/// <param name="Name">The experiment's name (its run folders are <c>RUNS/NAME/HASH</c>).</param>
/// <param name="Experiment">The MLflow experiment its run goes to.</param>
/// <param name="TrackingUri">Its <c>tracking.uri</c> setting.</param>
public sealed record TrialBinding(string Name, string Experiment, string TrackingUri);

/// <summary>
/// What a sweep needs of the host that runs its trials, so that sweeps never reference the run code:
/// binding a trial's config as <c>replab run</c> would, and the executor plugins.
/// </summary>
public interface ISweepHost
{
    /// <summary>Binds <paramref name="config"/> as <c>replab run</c> would.</summary>
    /// <exception cref="ConfigException">Every problem, located.</exception>
    TrialBinding Bind(ResolvedConfig config);

    /// <summary>
    /// The executor <paramref name="chosen"/> on the command line, else the one <paramref name="configured"/>
    /// (<c>sweep.executor</c>, bound from that node), else <c>local</c>.
    /// </summary>
    (string Name, ISweepExecutor Executor) Executor(ConfigNode? configured, string? chosen);
}
