using System.Globalization;
using System.Net;
using System.Text;

using RepLab.Tracking;

namespace RepLab.Sweeps;

/// <summary>
/// A sweep's results: trials grouped by their settings without the seed, and per metric the mean,
/// standard deviation (over seeds, n - 1) and count of finished trials; groups sorted by the key
/// metric, best first. Written as Markdown, CSV and one self-contained HTML page with an SVG chart
/// of the key metric against each swept parameter (error bars: one standard deviation).
/// </summary>
public sealed class SweepReport
{
    public sealed record Stat(double Mean, double Std, int Count);

    public sealed record Group(IReadOnlyList<Assignment> Settings, IReadOnlyList<(SweepTrial Trial, TrialStatus Status)> Trials, IReadOnlyDictionary<string, Stat> Metrics)
    {
        public string Describe() => Settings.Count == 0 ? "(base config)" : string.Join(" ", Settings);

        public int Count(TrialOutcome o) => Trials.Count(t => t.Status.Outcome == o);
    }

    public required SweepPlan Plan { get; init; }
    public required string Metric { get; init; }
    public required IReadOnlyList<string> Metrics { get; init; }
    public required IReadOnlyList<Group> Groups { get; init; }

    /// <summary>The swept parameters other than the seed (the report's grouping columns).</summary>
    public IReadOnlyList<string> Parameters => Plan.Definition.Parameters.Where(p => p != "seed").ToList();

    /// <summary>Reads every trial's run folder (and what <paramref name="state"/> recorded) and groups them.</summary>
    public static SweepReport Build(SweepPlan plan, SweepState? state, string metric)
    {
        var trials = plan.Trials.Select(t => (Trial: t, Status: SweepRunner.Current(t, state))).ToList();
        var groups = trials.GroupBy(t => string.Join("\n", t.Trial.Point.WithoutSeed.Select(a => a.Path + "=" + Config.ResolvedConfig.CanonicalJson(a.Value))))
            .Select(g =>
            {
                var finished = g.Where(t => t.Status.Outcome == TrialOutcome.Finished).ToList();
                var keys = finished.SelectMany(t => t.Status.Metrics.Keys).Distinct(StringComparer.Ordinal);
                var stats = keys.ToDictionary(k => k, k => Summarise(finished.Where(t => t.Status.Metrics.ContainsKey(k)).Select(t => t.Status.Metrics[k]).ToList()));
                return new Group(g.First().Trial.Point.WithoutSeed, g.ToList(), stats);
            })
            .OrderByDescending(g => g.Metrics.TryGetValue(metric, out var s) ? s.Mean : double.NegativeInfinity)
            .ThenBy(g => g.Trials[0].Trial.Index)
            .ToList();
        var metrics = groups.SelectMany(g => g.Metrics.Keys).Distinct(StringComparer.Ordinal)
            .OrderBy(k => k == metric ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal).ToList();
        return new SweepReport { Plan = plan, Metric = metric, Metrics = metrics, Groups = groups };
    }

    private static Stat Summarise(IReadOnlyList<double> v)
    {
        if (v.Count == 0) return new Stat(double.NaN, double.NaN, 0);
        var mean = v.Average();
        var std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new Stat(mean, std, v.Count);
    }

    /// <summary>A value with four decimals; NaN and the infinities as such (a degenerate evaluation is data).</summary>
    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary><c>mean ± std (n)</c>; one value has no spread to show: <c>mean (1)</c>.</summary>
    private static string Cell(Stat s) => s.Count == 1 ? $"{F(s.Mean)} (1)" : $"{F(s.Mean)} ± {F(s.Std)} ({s.Count})";

    private string Outcomes(Group g) => string.Join(", ", Enum.GetValues<TrialOutcome>().Where(o => g.Count(o) > 0).Select(o => $"{g.Count(o)} {o.Words()}"));

    private string ValueOf(Group g, string parameter) => g.Settings.FirstOrDefault(a => a.Path == parameter)?.ValueText ?? "";

    /// <summary>The Markdown report: a summary line, the table, and the trials that did not finish.</summary>
    public string Markdown()
    {
        var all = Groups.SelectMany(g => g.Trials).ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"# Sweep `{Plan.Definition.Name}`").AppendLine();
        sb.AppendLine($"{all.Count} trials of `{Path.GetFileName(Plan.File)}`: " +
                      string.Join(", ", Enum.GetValues<TrialOutcome>().Select(o => (o, n: all.Count(t => t.Status.Outcome == o))).Where(x => x.n > 0).Select(x => $"{x.n} {x.o.Words()}")) +
                      $". Mean ± standard deviation (count) over seeds; sorted by `{Metric}`.").AppendLine();
        var header = Parameters.Concat(Metrics.Select(m => $"`{m}`")).Append("trials").ToList();
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var g in Groups)
        {
            var cells = Parameters.Select(p => ValueOf(g, p))
                .Concat(Metrics.Select(m => g.Metrics.TryGetValue(m, out var s) && s.Count > 0 ? Cell(s) : "-"))
                .Append(Outcomes(g));
            sb.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        var unfinished = all.Where(t => t.Status.Outcome != TrialOutcome.Finished).OrderBy(t => t.Trial.Index).ToList();
        if (unfinished.Count > 0)
        {
            sb.AppendLine().AppendLine("Trials that did not finish:").AppendLine();
            sb.AppendLine("| # | settings | state | error |").AppendLine("|---|---|---|---|");
            foreach (var (t, s) in unfinished)
                sb.AppendLine($"| {t.Index} | {t.Point.Describe()} | {s.Outcome.Words()} | {(s.Error ?? "").Replace("|", "\\|")} |");
        }
        return sb.ToString();
    }

    /// <summary>One row per group: the parameters, then mean, std and n of each metric, then the trial counts.</summary>
    public string Csv()
    {
        static string Q(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        var outcomes = Enum.GetValues<TrialOutcome>();
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Parameters.Concat(Metrics.SelectMany(m => new[] { $"{m} mean", $"{m} std", $"{m} n" }))
            .Concat(outcomes.Select(o => o.Words())).Select(Q)));
        foreach (var g in Groups)
            sb.AppendLine(string.Join(",", Parameters.Select(p => ValueOf(g, p))
                .Concat(Metrics.SelectMany(m => g.Metrics.TryGetValue(m, out var s) ? new[] { F(s.Mean), s.Count > 1 ? F(s.Std) : "", s.Count.ToString(CultureInfo.InvariantCulture) } : ["", "", "0"]))
                .Concat(outcomes.Select(o => g.Count(o).ToString(CultureInfo.InvariantCulture))).Select(Q)));
        return sb.ToString();
    }

    /// <summary>A self-contained page: the table and one SVG chart per swept parameter (no script, no external file).</summary>
    public string Html()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append($"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sweep {E(Plan.Definition.Name)}</title><style>")
          .Append("body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
          .Append("th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}svg{background:#fff;border:1px solid #ddd}")
          .Append("</style></head><body>");
        sb.Append($"<h1>Sweep {E(Plan.Definition.Name)}</h1><p>{E(Path.GetFileName(Plan.File))}: {Groups.Sum(g => g.Trials.Count)} trials; mean ± standard deviation over seeds (n); sorted by {E(Metric)}.</p>");
        sb.Append("<table><tr>");
        foreach (var h in Parameters.Concat(Metrics).Append("trials")) sb.Append($"<th>{E(h)}</th>");
        sb.Append("</tr>");
        foreach (var g in Groups)
        {
            sb.Append("<tr>");
            foreach (var p in Parameters) sb.Append($"<td>{E(ValueOf(g, p))}</td>");
            foreach (var m in Metrics)
                sb.Append(g.Metrics.TryGetValue(m, out var s) && s.Count > 0 ? $"<td>{Cell(s)}</td>" : "<td>-</td>");
            sb.Append($"<td>{E(Outcomes(g))}</td></tr>");
        }
        sb.Append("</table><div class=\"charts\">");
        // The key metric first, then up to two more, each against every swept parameter.
        foreach (var p in Parameters)
            foreach (var m in Metrics.Take(3).DefaultIfEmpty(Metric))
                sb.Append(Chart(p, m));
        sb.Append("</div></body></html>");
        return sb.ToString();
    }

    /// <summary><paramref name="metric"/> against <paramref name="parameter"/>: one series per combination of the other parameters.</summary>
    private string Chart(string parameter, string metric)
    {
        const int W = 420, H = 300, L = 64, R = 16, T = 36, B = 48;
        var points = Groups.Where(g => g.Metrics.TryGetValue(metric, out var s) && s.Count > 0 && double.IsFinite(s.Mean) && double.IsFinite(s.Std))
            .Select(g => (X: ValueOf(g, parameter), S: g.Metrics[metric], Series: string.Join(" ", g.Settings.Where(a => a.Path != parameter))))
            .ToList();
        var labels = Plan.Trials.Select(t => t.Point.Assignments.FirstOrDefault(a => a.Path == parameter)?.ValueText ?? "").Distinct().ToList();
        var numeric = labels.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        var xs = numeric ? labels.Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList() : [];
        var log = numeric && xs.Count > 1 && xs.All(x => x > 0) && xs.Max() / xs.Min() >= 20;
        double Position(string label)
        {
            if (!numeric) return labels.Count == 1 ? 0.5 : (double)labels.IndexOf(label) / (labels.Count - 1);
            double f(double v) => log ? Math.Log10(v) : v;
            var (lo, hi) = (f(xs.Min()), f(xs.Max()));
            return hi == lo ? 0.5 : (f(double.Parse(label, CultureInfo.InvariantCulture)) - lo) / (hi - lo);
        }
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append($"<text x=\"{W / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">{WebUtility.HtmlEncode(metric)} vs {WebUtility.HtmlEncode(parameter)}</text>");
        if (points.Count == 0)
            return sb.Append($"<text x=\"{W / 2}\" y=\"{H / 2}\" text-anchor=\"middle\">no finished trials</text></svg>").ToString();
        var lowY = points.Min(p => p.S.Mean - p.S.Std);
        var highY = points.Max(p => p.S.Mean + p.S.Std);
        var pad = Math.Max((highY - lowY) * 0.1, 1e-4);
        (lowY, highY) = (lowY - pad, highY + pad);
        string Xp(double f) => (L + 12 + f * (W - L - R - 24)).ToString("F1", CultureInfo.InvariantCulture);
        string Yp(double v) => (T + (highY - v) / (highY - lowY) * (H - T - B)).ToString("F1", CultureInfo.InvariantCulture);
        sb.Append($"<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#444\"/><line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#444\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var v = lowY + (highY - lowY) * i / 4;
            sb.Append($"<line x1=\"{L - 4}\" y1=\"{Yp(v)}\" x2=\"{W - R}\" y2=\"{Yp(v)}\" stroke=\"#eee\"/><text x=\"{L - 6}\" y=\"{Yp(v)}\" text-anchor=\"end\" dy=\"4\">{v.ToString("F3", CultureInfo.InvariantCulture)}</text>");
        }
        foreach (var l in labels)
            sb.Append($"<text x=\"{Xp(Position(l))}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(l)}</text>");
        sb.Append($"<text x=\"{(L + W - R) / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(parameter)}{(log ? " (log scale)" : "")}</text>");
        string[] colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
        var series = points.GroupBy(p => p.Series).ToList();
        for (var si = 0; si < series.Count; si++)
        {
            var c = colours[si % colours.Length];
            var ordered = series[si].OrderBy(p => Position(p.X)).ToList();
            if (ordered.Count > 1)
                sb.Append($"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{string.Join(" ", ordered.Select(p => $"{Xp(Position(p.X))},{Yp(p.S.Mean)}"))}\"/>");
            foreach (var p in ordered)
            {
                var x = Xp(Position(p.X));
                sb.Append($"<line x1=\"{x}\" y1=\"{Yp(p.S.Mean - p.S.Std)}\" x2=\"{x}\" y2=\"{Yp(p.S.Mean + p.S.Std)}\" stroke=\"{c}\"/>");
                sb.Append($"<circle cx=\"{x}\" cy=\"{Yp(p.S.Mean)}\" r=\"3.5\" fill=\"{c}\"><title>{WebUtility.HtmlEncode($"{parameter}={p.X}: {F(p.S.Mean)} ± {F(p.S.Std)} (n={p.S.Count})")}</title></circle>");
            }
            if (series.Count > 1 && series[si].Key.Length > 0)
                sb.Append($"<text x=\"{W - R}\" y=\"{T + 12 * si}\" text-anchor=\"end\" fill=\"{c}\">{WebUtility.HtmlEncode(series[si].Key)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }

    /// <summary>Writes report.md, report.csv and report.html into <paramref name="folder"/>; returns their paths.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        var files = new[] { ("report.md", Markdown()), ("report.csv", Csv()), ("report.html", Html()) };
        foreach (var (name, text) in files) AtomicFile.Write(Path.Combine(folder, name), text);
        return files.Select(f => Path.Combine(folder, f.Item1)).ToList();
    }
}
