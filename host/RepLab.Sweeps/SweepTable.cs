using System.Globalization;
using Spectre.Console;

namespace RepLab.Sweeps;

/// <summary>
/// The sweep's table while it runs: every trial with its state (running ones with their progress),
/// the key metric of finished ones and the first line of failed ones' errors, redrawn in place on a
/// terminal; one plain line per change of state otherwise (a log, a pipe, a Slurm job's output).
/// </summary>
internal sealed class SweepTable(SweepPlan plan, string metric)
{
    public Display Start(Func<IReadOnlyList<(SweepTrial Trial, TrialStatus Status)>> snapshot) =>
        new(plan, metric, snapshot, !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    internal static string State(TrialStatus s) => s.Outcome switch
    {
        TrialOutcome.Running when s.TotalSteps > 0 => $"running {100.0 * Math.Min(s.Step + 1, s.TotalSteps) / s.TotalSteps:F0}% (step {s.Step + 1}/{s.TotalSteps})",
        var o => o.Words(),
    };

    internal static string Value(TrialStatus s, string metric) =>
        s.Metrics.TryGetValue(metric, out var v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "";

    public sealed class Display : IDisposable
    {
        private readonly SweepPlan plan;
        private readonly string metric;
        private readonly Func<IReadOnlyList<(SweepTrial Trial, TrialStatus Status)>> snapshot;
        private readonly Dictionary<int, TrialOutcome> shown = [];
        private readonly List<string> notes = [];
        private readonly Thread? live;
        private readonly Lock gate = new();

        internal Display(SweepPlan plan, string metric, Func<IReadOnlyList<(SweepTrial, TrialStatus)>> snapshot, bool interactive)
        {
            (this.plan, this.metric, this.snapshot) = (plan, metric, snapshot);
            if (!interactive)
            {
                // Said at the first update: a trial the sweep waits for, so a log shows why it waits.
                foreach (var (t, s) in snapshot()) if (s.Outcome != TrialOutcome.RunningElsewhere) shown[t.Index] = s.Outcome;
                return;
            }
            live = new Thread(() => AnsiConsole.Live(Build()).AutoClear(false).Start(ctx =>
            {
                while (!Done)
                {
                    ctx.UpdateTarget(Build());
                    Thread.Sleep(500);
                }
                ctx.UpdateTarget(Build());
            })) { IsBackground = true };
            live.Start();
        }

        /// <summary>Set when the sweep's trials have all ended.</summary>
        public volatile bool Done;

        /// <summary>A line said once under the table (or printed).</summary>
        public void Note(string text)
        {
            lock (gate) notes.Add(text);
            if (live is null) Console.WriteLine($"replab: {text}");
        }

        /// <summary>Prints the trials whose state changed (plain output); the live table redraws itself.</summary>
        public void Update()
        {
            if (live is not null) return;
            lock (gate)
                foreach (var (t, s) in snapshot())
                {
                    if (shown.TryGetValue(t.Index, out var was) && was == s.Outcome) continue;
                    shown[t.Index] = s.Outcome;
                    var detail = s.Outcome switch
                    {
                        TrialOutcome.Finished when Value(s, metric) is { Length: > 0 } v => $": {metric} {v}",
                        TrialOutcome.Failed or TrialOutcome.Cancelled or TrialOutcome.TimedOut when s.Error is { } e => $": {e}",
                        TrialOutcome.RunningElsewhere => ": its run folder is held by another live run; waiting for it",
                        _ => "",
                    };
                    Console.WriteLine($"replab: trial {t.Index}/{plan.Trials.Count} [{t.Id}] {t.Point.Describe()}: {s.Outcome.Words()}{detail}");
                }
        }

        private Table Build()
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"sweep {Markup.Escape(plan.Definition.Name)}")
                .AddColumns("#", "settings", "state", Markup.Escape(metric), "error");
            foreach (var (t, s) in snapshot())
            {
                var colour = s.Outcome switch
                {
                    TrialOutcome.Finished => "green", TrialOutcome.Failed => "red", TrialOutcome.Running => "blue",
                    TrialOutcome.Cancelled or TrialOutcome.Interrupted or TrialOutcome.TimedOut or TrialOutcome.RunningElsewhere => "yellow", _ => "dim",
                };
                var error = s.Error is { } e && s.Outcome is TrialOutcome.Failed or TrialOutcome.Cancelled or TrialOutcome.TimedOut ? (e.Length > 70 ? e[..70] + "..." : e) : "";
                table.AddRow(t.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(t.Point.Describe()), $"[{colour}]{Markup.Escape(State(s))}[/]",
                    Value(s, metric), Markup.Escape(error));
            }
            lock (gate)
                if (notes.Count > 0) table.Caption(Markup.Escape(string.Join("; ", notes)));
            return table;
        }

        public void Dispose()
        {
            Done = true;
            live?.Join();
        }
    }
}
