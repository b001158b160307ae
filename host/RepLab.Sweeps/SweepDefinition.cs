using System.Globalization;
using RepLab.Config;

namespace RepLab.Sweeps;

/// <summary>One setting of a trial: a key path and its value (a node of the sweep file, or a drawn value located at its distribution).</summary>
public sealed record Assignment(string Path, ConfigNode Value)
{
    /// <summary>The value as an override's text (YAML flow), e.g. <c>0.2</c>, <c>[1, 2]</c>, <c>"a b"</c>.</summary>
    public string ValueText => SweepDefinition.FlowText(Value);

    public override string ToString() => $"{Path}={ValueText}";
}

/// <summary>One point of a sweep before it is resolved: its index and settings (the seed last, when seeds are swept).</summary>
public sealed record TrialPoint(int Index, IReadOnlyList<Assignment> Assignments)
{
    /// <summary>The settings without the seed: trials that differ only in it form one group of the report.</summary>
    public IReadOnlyList<Assignment> WithoutSeed => Assignments.Where(a => a.Path != "seed").ToList();

    public string Describe() => Assignments.Count == 0 ? "(base config)" : string.Join(" ", Assignments);
}

/// <summary>
/// The <c>sweep:</c> section of an experiment:
/// <code>
/// sweep:
///   name: simclr-temperature       # default: the file's name
///   metric: eval/linear-probe/top1 # the table's key metric and the report's sort (default: the first result)
///   grid:                          # key path -> values: every combination
///     method.temperature: [0.1, 0.2, 0.5]
///   random:                        # key path -> distribution, drawn trials times (seeded)
///     trials: 4
///     seed: 0
///     optimizer.lr: { loguniform: [1.0e-4, 1.0e-2] }   # also uniform: [a, b], int: [a, b], choice: [x, y]
///   seeds: [0, 1, 2]               # crossed with all of the above
///   exclude:                       # a trial matching every key of a rule is left out
///     - { method.temperature: 0.1, seed: [1, 2] }
///   executor: { plugin: local }    # or slurm with its options (replab plugins)
///   trial-timeout: 2h              # a trial still running then is stopped: "timed out" (Slurm: --time)
/// </code>
/// </summary>
public sealed class SweepDefinition
{
    /// <summary>
    /// Most trials a sweep may hold: grid, random draws and seeds multiplied, checked before any is drawn or expanded.
    /// Every trial is resolved and checked before the first starts: at the bound that takes about a minute and 1 GB
    /// (100,000 trials of a 50-setting experiment: 69 s and 1.1 GB on two shared cores).
    /// </summary>
    public const long MaxTrials = 100_000;

    /// <summary>
    /// Most settings a sweep's trials hold together (trials times the experiment's settings, its <c>sweep:</c> left out):
    /// every trial's config is held until the sweep ends, so 100,000 trials of the shipped experiments' 25 to 50
    /// settings fit (1.1 GB for 50), of a thousand settings do not.
    /// </summary>
    public const long MaxTrialValues = 5_000_000;

    private static readonly string[] Keys = ["name", "metric", "grid", "random", "seeds", "exclude", "executor", "trial-timeout"];
    private static readonly string[] Distributions = ["uniform", "loguniform", "int", "choice"];

    public required string Name { get; init; }
    public string? Metric { get; init; }
    public required IReadOnlyList<TrialPoint> Points { get; init; }

    /// <summary>The swept key paths in order (grid, random, then seed).</summary>
    public required IReadOnlyList<string> Parameters { get; init; }

    /// <summary>How many points the rules left out.</summary>
    public int Excluded { get; init; }

    /// <summary>The <c>trial-timeout:</c>: how long a trial may run before it is stopped as timed out; null: no limit.</summary>
    public TimeSpan? TrialTimeout { get; init; }

    /// <summary>The <c>executor:</c> map, or null (local).</summary>
    public ConfigNode? Executor { get; init; }

    /// <summary>The section itself (written as the sweep's definition artifact).</summary>
    public required ConfigMap Section { get; init; }

    /// <summary>Reads the <c>sweep:</c> section of <paramref name="config"/>.</summary>
    /// <exception cref="ConfigException">No section, or any malformed part of it, with file, line and key.</exception>
    public static SweepDefinition Parse(ResolvedConfig config, string file)
    {
        if (config.Get("sweep") is not { } node)
            throw ConfigException.At(config.Root.Location, "sweep", $"{Path.GetFileName(file)} has no 'sweep:' section; add one with grid:, random: or seeds: (see replab sweep --help)");
        if (node is not ConfigMap section)
            throw ConfigException.At(node.Location, "sweep", $"expected a map (grid:, random:, seeds:, exclude:), got {node.Describe()}");
        var errors = new List<ConfigError>();
        foreach (var e in section.Entries.Where(e => !Keys.Contains(e.Key)))
            errors.Add(new ConfigError(e.KeyLocation, $"sweep.{e.Key}", $"unknown key '{e.Key}'{DidYouMean.Hint(e.Key, Keys)}; expected one of: {string.Join(", ", Keys)}"));
        var name = Text(section, "name", errors) ?? Path.GetFileNameWithoutExtension(file);
        var metric = Text(section, "metric", errors);
        var timeout = Timeout(section, errors);
        // Each dimension is a list of alternatives; a trial takes one alternative of each.
        var dimensions = new List<List<List<Assignment>>>();
        var parameters = new List<string>();
        Grid(section["grid"], errors, parameters, dimensions);
        var random = section["random"] is { } randomNode ? Random(randomNode, errors, parameters) : null;
        var randomAt = dimensions.Count;
        Seeds(section["seeds"], errors, parameters, dimensions);
        var rules = ExcludeRules(section["exclude"], errors, parameters);
        if (errors.Count > 0) throw new ConfigException(errors);
        CheckCount(dimensions, random, config);
        if (random is not null) dimensions.Insert(randomAt, random.Draw());
        var all = Product(dimensions);
        var kept = all.Where(c => !rules.Any(rule => rule.All(r => c.FirstOrDefault(a => a.Path == r.Path) is { } a && r.Values.Contains(ResolvedConfig.CanonicalJson(a.Value))))).ToList();
        if (kept.Count == 0)
            throw ConfigException.At(section.Location, "sweep.exclude", $"the exclude rules leave none of the {all.Count} trials");
        return new SweepDefinition
        {
            Name = name, Metric = metric, TrialTimeout = timeout, Parameters = parameters, Excluded = all.Count - kept.Count, Executor = section["executor"], Section = section,
            Points = kept.Select((c, i) => new TrialPoint(i, c)).ToList(),
        };
    }

    /// <summary>A non-empty text setting of the section, or null.</summary>
    private static string? Text(ConfigMap section, string key, List<ConfigError> errors)
    {
        if (section[key] is not { } n) return null;
        if (n is ConfigScalar s && s.Value.Length > 0) return s.Value;
        errors.Add(new ConfigError(n.Location, $"sweep.{key}", $"expected a text, got {n.Describe()}"));
        return null;
    }

    /// <summary>The <c>trial-timeout:</c> as a duration, or null.</summary>
    private static TimeSpan? Timeout(ConfigMap section, List<ConfigError> errors)
    {
        if (section["trial-timeout"] is not { } n) return null;
        if (n is ConfigScalar s && Duration.TryParse(s.Value, out var limit)) return limit;
        errors.Add(new ConfigError(n.Location, "sweep.trial-timeout", $"expected a duration ({Duration.Format}), got {n.Describe()}"));
        return null;
    }

    /// <summary>The <c>grid:</c>: a dimension per key path, its values the alternatives, in the order written.</summary>
    private static void Grid(ConfigNode? node, List<ConfigError> errors, List<string> parameters, List<List<List<Assignment>>> dimensions)
    {
        if (node is null) return;
        if (node is not ConfigMap grid)
        {
            errors.Add(new ConfigError(node.Location, "sweep.grid", $"expected a map of key path to a list of values, got {node.Describe()}"));
            return;
        }
        foreach (var e in grid.Entries)
        {
            if (!CheckPath(e, "sweep.grid", errors)) continue;
            if (e.Value is not ConfigList { Items.Count: > 0 } values)
            {
                errors.Add(new ConfigError(e.Value.Location, $"sweep.grid.{e.Key}", $"expected a non-empty list of values, got {e.Value.Describe()}"));
                continue;
            }
            parameters.Add(e.Key);
            dimensions.Add(values.Items.Select(v => new List<Assignment> { new(e.Key, v) }).ToList());
        }
    }

    /// <summary>The <c>seeds:</c>: one more dimension, crossed with the others.</summary>
    private static void Seeds(ConfigNode? node, List<ConfigError> errors, List<string> parameters, List<List<List<Assignment>>> dimensions)
    {
        if (node is null) return;
        if (node is not ConfigList { Items.Count: > 0 } seeds || seeds.Items.Any(s => s is not ConfigScalar sc || !sc.TryGetInteger(out var v) || v < 0))
        {
            errors.Add(new ConfigError(node.Location, "sweep.seeds", $"expected a non-empty list of non-negative integers, got {node.Describe()}"));
            return;
        }
        parameters.Add("seed");
        dimensions.Add(seeds.Items.Select(s => new List<Assignment> { new("seed", s) }).ToList());
    }

    /// <summary>The <c>exclude:</c> rules: each a map of swept key path to a value or values (canonical JSON), all of which must match.</summary>
    private static List<IReadOnlyList<(string Path, IReadOnlyList<string> Values)>> ExcludeRules(ConfigNode? node, List<ConfigError> errors, List<string> parameters)
    {
        var rules = new List<IReadOnlyList<(string Path, IReadOnlyList<string> Values)>>();
        if (node is null) return rules;
        if (node is not ConfigList list)
        {
            errors.Add(new ConfigError(node.Location, "sweep.exclude", $"expected a list of rules (maps of key path to value or values), got {node.Describe()}"));
            return rules;
        }
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (list.Items[i] is not ConfigMap { Count: > 0 } rule)
            {
                errors.Add(new ConfigError(list.Items[i].Location, $"sweep.exclude.{i}", $"expected a map of key path to value or list of values, got {list.Items[i].Describe()}"));
                continue;
            }
            foreach (var e in rule.Entries.Where(e => !parameters.Contains(e.Key)))
                errors.Add(new ConfigError(e.KeyLocation, $"sweep.exclude.{i}.{e.Key}", $"'{e.Key}' is not swept{DidYouMean.Hint(e.Key, parameters)}; a rule names swept keys: {string.Join(", ", parameters)}"));
            rules.Add(rule.Entries.Select(e => (e.Key, (IReadOnlyList<string>)(e.Value is ConfigList l ? l.Items : [e.Value]).Select(ResolvedConfig.CanonicalJson).ToList())).ToList());
        }
        return rules;
    }

    /// <summary>Every combination of one alternative per dimension, the first dimension varying slowest.</summary>
    private static List<List<Assignment>> Product(IEnumerable<List<List<Assignment>>> dimensions)
    {
        IEnumerable<List<Assignment>> combos = [[]];
        foreach (var dimension in dimensions)
            combos = combos.SelectMany(c => dimension.Select(alternative => c.Concat(alternative).ToList())).ToList();
        return combos.ToList();
    }

    private static bool CheckPath(ConfigEntry e, string parent, List<ConfigError> errors)
    {
        if (e.Key.Split('.').All(s => s.Length > 0 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))) return true;
        errors.Add(new ConfigError(e.KeyLocation, $"{parent}.{e.Key}", $"'{e.Key}' is not a key path; expected names or list indices joined by '.', like method.temperature"));
        return false;
    }

    /// <summary>One key path of <c>random:</c> and its distribution.</summary>
    private sealed record Draw(string Path, ConfigEntry Spec, string Kind, ConfigList Args);

    /// <summary>The <c>random:</c> section read and checked: how many trials, the seed, and what each draws.</summary>
    private sealed record RandomSearch(long Trials, ConfigNode TrialsNode, ulong Seed, IReadOnlyList<Draw> Draws)
    {
        /// <summary>The <c>random:</c> dimension: <see cref="Trials"/> alternatives, each drawing every listed key from its distribution.</summary>
        public List<List<Assignment>> Draw()
        {
            var rng = new SplitMix64(Seed);
            var result = new List<List<Assignment>>();
            for (var t = 0; t < Trials; t++)
                result.Add(Draws.Select(d => new Assignment(d.Path, Sample(d, rng))).ToList());
            return result;
        }
    }

    /// <summary>The <c>random:</c> section; null (errors recorded) when it is malformed. Nothing is drawn yet.</summary>
    private static RandomSearch? Random(ConfigNode node, List<ConfigError> errors, List<string> parameters)
    {
        if (node is not ConfigMap map)
        {
            errors.Add(new ConfigError(node.Location, "sweep.random", $"expected a map (trials:, seed: and key path -> distribution), got {node.Describe()}"));
            return null;
        }
        var trials = Integer(map, "trials", 0, 1, errors);
        if (map["trials"] is null) errors.Add(new ConfigError(map.Location, "sweep.random.trials", "random search needs trials: N (how many draws)"));
        var seed = (ulong)Integer(map, "seed", 0, 0, errors);
        var draws = new List<Draw>();
        foreach (var e in map.Entries.Where(e => e.Key is not ("trials" or "seed")))
            if (ReadDraw(e, errors) is { } draw) draws.Add(draw);
        if (draws.Count == 0) errors.Add(new ConfigError(map.Location, "sweep.random", "random search names no key path to draw (e.g. optimizer.lr: {loguniform: [1.0e-4, 1.0e-2]})"));
        if (errors.Count > 0) return null;
        parameters.AddRange(draws.Select(d => d.Path));
        return new RandomSearch(trials, map["trials"]!, seed, draws);
    }

    /// <summary>
    /// The number of trials the dimensions and random draws make, against <see cref="MaxTrials"/>, and the values
    /// they make together against <see cref="MaxTrialValues"/>; before anything is drawn or expanded.
    /// </summary>
    private static void CheckCount(List<List<List<Assignment>>> dimensions, RandomSearch? random, ResolvedConfig config)
    {
        var at = config.Root.Find("sweep")!.KeyLocation;
        if (random is { Trials: > MaxTrials })
        {
            throw ConfigException.At(random.TrialsNode.Location, "sweep.random.trials",
                $"{random.Trials:N0} trials; a sweep holds at most {MaxTrials:N0} (sweep.random.trials, grid and seeds multiplied), each checked before the first starts");
        }
        var factors = dimensions.Select(d => (long)d.Count).Concat(random is null ? [] : [random.Trials]).ToList();
        // Multiplied in doubles: factors of up to 10,000 each would overflow a long after a few keys.
        var trials = factors.Aggregate(1.0, (product, f) => product * f);
        if (trials > MaxTrials)
        {
            throw ConfigException.At(at, "sweep",
                $"grid, random and seeds make {trials:N0} trials ({string.Join(" x ", factors.Select(f => f.ToString("N0", CultureInfo.InvariantCulture)))}); a sweep holds at most {MaxTrials:N0}, each checked before the first starts");
        }
        var values = config.WithoutSection("sweep").Flatten().Count;
        if (trials * values > MaxTrialValues)
        {
            throw ConfigException.At(at, "sweep",
                $"{trials:N0} trials of {values:N0} settings each make {trials * values:N0} settings to resolve and check before the first trial starts; a sweep holds at most {MaxTrialValues:N0} (trials x settings)");
        }
    }

    private static long Integer(ConfigMap map, string key, long fallback, long min, List<ConfigError> errors)
    {
        if (map[key] is not { } n) return fallback;
        if (n is ConfigScalar s && s.TryGetInteger(out var v) && v >= min) return v;
        errors.Add(new ConfigError(n.Location, $"sweep.random.{key}", $"expected an integer of at least {min}, got {n.Describe()}"));
        return fallback;
    }

    /// <summary>A key path with its distribution, its arguments checked; null (errors recorded) when it is no valid draw.</summary>
    private static Draw? ReadDraw(ConfigEntry e, List<ConfigError> errors)
    {
        if (!CheckPath(e, "sweep.random", errors)) return null;
        if (e.Value is not ConfigMap { Count: 1 } spec || !Distributions.Contains(spec.Entries[0].Key) || spec.Entries[0].Value is not ConfigList args)
        {
            errors.Add(new ConfigError(e.Value.Location, $"sweep.random.{e.Key}", $"expected one distribution: {{uniform: [low, high]}}, {{loguniform: [low, high]}}, {{int: [low, high]}} or {{choice: [a, b, ...]}}, got {e.Value.Describe()}"));
            return null;
        }
        var kind = spec.Entries[0].Key;
        var where = $"sweep.random.{e.Key}.{kind}";
        if (kind == "choice")
        {
            if (args.Items.Count == 0) errors.Add(new ConfigError(args.Location, where, "choice needs at least one value"));
        }
        else if (args.Items.Count != 2 || args.Items.Any(a => a is not ConfigScalar s || !s.TryGetDouble(out _)))
            errors.Add(new ConfigError(args.Location, where, $"{kind} needs [low, high], two numbers"));
        else
        {
            var (lo, hi) = (Number(args.Items[0]), Number(args.Items[1]));
            if (!(lo <= hi)) errors.Add(new ConfigError(args.Location, where, $"low {lo} is above high {hi}"));
            else if (kind == "loguniform" && !(lo > 0)) errors.Add(new ConfigError(args.Location, where, "loguniform needs low > 0"));
            else if (kind == "int" && (lo != Math.Floor(lo) || hi != Math.Floor(hi))) errors.Add(new ConfigError(args.Location, where, "int needs integer bounds"));
        }
        return new Draw(e.Key, e, kind, args);
    }

    /// <summary>One value of <paramref name="d"/>'s distribution from <paramref name="rng"/>.</summary>
    private static ConfigNode Sample(Draw d, SplitMix64 rng)
    {
        var (args, at) = (d.Args, d.Spec.Value.Location);
        return d.Kind switch
        {
            "choice" => args.Items[(int)(rng.Next() % (ulong)args.Items.Count)],
            "int" => Scalar(((long)Number(args.Items[0]) + (long)(rng.Next() % (ulong)((long)Number(args.Items[1]) - (long)Number(args.Items[0]) + 1))).ToString(CultureInfo.InvariantCulture), at),
            "uniform" => Scalar(Round(Number(args.Items[0]) + rng.NextDouble() * (Number(args.Items[1]) - Number(args.Items[0]))), at),
            _ => Scalar(Round(Math.Exp(Math.Log(Number(args.Items[0])) + rng.NextDouble() * (Math.Log(Number(args.Items[1])) - Math.Log(Number(args.Items[0]))))), at),
        };
    }

    private static double Number(ConfigNode n) => ((ConfigScalar)n).TryGetDouble(out var d) ? d : double.NaN;

    /// <summary>Six significant digits: a drawn value reads well in a table and round-trips through its text.</summary>
    private static string Round(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static ConfigScalar Scalar(string text, SourceLocation at) => new(text, false, at);

    /// <summary>A node as YAML flow text, the form an override takes on the command line.</summary>
    public static string FlowText(ConfigNode node) => node switch
    {
        ConfigScalar { Quoted: true } s => System.Text.Json.JsonSerializer.Serialize(s.Value),
        ConfigScalar s => s.Value,
        ConfigList l => "[" + string.Join(", ", l.Items.Select(FlowText)) + "]",
        ConfigMap m => "{" + string.Join(", ", m.Entries.Select(e => $"{e.Key}: {FlowText(e.Value)}")) + "}",
        _ => "null",
    };

    /// <summary>A small seeded generator (SplitMix64) whose draws are the same on every machine and .NET version.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong state = seed;

        public ulong Next()
        {
            var z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
