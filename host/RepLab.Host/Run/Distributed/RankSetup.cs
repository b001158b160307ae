using System.Globalization;
using RepLab.Host.Experiment;

namespace RepLab.Host.Run.Distributed;

/// <summary>
/// Where this process stands in a data-parallel run: its rank, the world size and the rendezvous
/// address (rank 0's host and the store's port). It comes from the environment the local launcher
/// sets (<c>REPLAB_RANK</c>, <c>REPLAB_WORLD_SIZE</c>, <c>REPLAB_MASTER_ADDR</c>, <c>REPLAB_MASTER_PORT</c>)
/// or, under <c>srun</c>, from Slurm's (<c>SLURM_PROCID</c>, <c>SLURM_STEP_NUM_TASKS</c>, the step's first node).
/// </summary>
/// <param name="Origin">Who started the ranks: <c>local</c> (<c>replab run</c>) or <c>slurm</c> (<c>srun</c>).</param>
internal sealed record RankSetup(int Rank, int WorldSize, string Host, int Port, string Origin)
{
    internal const string RankVariable = "REPLAB_RANK";
    internal const string WorldVariable = "REPLAB_WORLD_SIZE";
    internal const string HostVariable = "REPLAB_MASTER_ADDR";
    internal const string PortVariable = "REPLAB_MASTER_PORT";

    public bool IsLeader => Rank == 0;

    /// <summary>Whether this process serves the rendezvous store: rank 0 under Slurm; locally the launcher does, before any rank starts.</summary>
    public bool ServesStore => IsLeader && Origin == "slurm";

    /// <summary>This process's place, or null when it is not one rank of several (a run of one process, or the launcher of local ranks).</summary>
    /// <exception cref="ArgumentException">The environment names a rank outside the world, or Slurm's task count differs from <c>processes</c>.</exception>
    public static RankSetup? FromEnvironment(DistributedOptions options, Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        if (env(RankVariable) is { Length: > 0 } rank)
            return Checked(new RankSetup(Int(env, RankVariable, rank), Int(env, WorldVariable, env(WorldVariable)), env(HostVariable) ?? "127.0.0.1",
                Int(env, PortVariable, env(PortVariable)), "local"));
        // A Slurm step (srun) of more than one task: only srun's tasks have SLURM_STEP_NUM_TASKS (a batch script has SLURM_NTASKS).
        if (!int.TryParse(env("SLURM_STEP_NUM_TASKS"), out var tasks) || tasks < 2) return null;
        if (tasks != options.Processes)
            throw new ArgumentException($"trainer.distributed.processes is {options.Processes} but srun started {tasks} tasks: set processes to the job's task count (nodes x tasks per node)");
        var job = int.TryParse(env("SLURM_JOB_ID"), out var id) ? id : 0;
        var port = options.Port > 0 ? options.Port : 20_000 + job % 20_000;
        return Checked(new RankSetup(Int(env, "SLURM_PROCID", env("SLURM_PROCID")), tasks, FirstNode(env("SLURM_STEP_NODELIST") ?? env("SLURM_JOB_NODELIST") ?? "localhost"),
            port, "slurm"));
    }

    private static RankSetup Checked(RankSetup setup) => setup.Rank >= 0 && setup.Rank < setup.WorldSize && setup.WorldSize > 1 && setup.Port is > 0 and < 65_536
        ? setup
        : throw new ArgumentException($"rank {setup.Rank} of {setup.WorldSize} at port {setup.Port} ({setup.Origin}): not a rank of a run of several processes");

    private static int Int(Func<string, string?> env, string name, string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} is '{text}', not a number");

    /// <summary>
    /// The first host of a Slurm node list: <c>node1</c>, <c>node[3-5,7]</c> (gives node3), <c>a1,b2</c>; the
    /// rank-0 task runs there, since Slurm numbers tasks in node order.
    /// </summary>
    internal static string FirstNode(string list)
    {
        var first = list.Split(',')[0];
        var open = first.IndexOf('[');
        if (open < 0) return first;
        var range = list[(open + 1)..].Split([',', ']'])[0];
        return first[..open] + range.Split('-')[0];
    }
}
