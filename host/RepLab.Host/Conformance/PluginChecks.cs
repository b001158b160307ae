using System.Diagnostics;
using RepLab.Abstractions;
using RepLab.Host.Plugins;

namespace RepLab.Host.Conformance;

/// <summary>
/// The conformance kit: the checks every plugin passes, for any plugin folder. It loads the built-in
/// plugins (the exercises run on the <c>synthetic</c> dataset and the <c>conv-small</c> encoder) and
/// the folders under check into one registry, lists the cases of the plugins those folders hold
/// (<see cref="Cases"/>) and runs one case at a time (<see cref="Run"/>). <c>replab check</c> and the
/// RepLab.Testing package both run these checks, and so do RepLab's tests of its own plugins.
/// </summary>
/// <remarks>
/// Checks: <c>defaults</c> (the options record's defaults validate and build the plugin), <c>docs</c>
/// (a summary on the attribute, an XML doc on every option in the plugin's .xml), <c>yaml</c> (every
/// option written at its default binds back to it), <c>exercise</c> (one tiny run of the plugin's kind
/// on synthetic data: a method's steps leave no live tensor handles behind, an evaluator's metrics are
/// the ones it declares, within their ranges), <c>resume</c> (a method checkpointed mid-training
/// resumes bitwise equal to an uninterrupted run), and <c>load</c> for an assembly that did not load.
/// The live-handle count is process-wide: run cases one at a time.
/// </remarks>
public sealed class PluginChecks : IDisposable
{
    /// <summary>The checks of one plugin, in the order they run.</summary>
    public static readonly IReadOnlyList<string> Checks = ["defaults", "docs", "yaml", "exercise", "resume"];

    /// <summary>The case of an assembly under check that did not load.</summary>
    public const string Load = "load";

    private readonly object gate = new();
    private readonly PluginCatalog catalog = new();
    private readonly List<string> builtInFolders;
    private readonly HashSet<string> added = new(StringComparer.Ordinal);
    private PluginRegistry registry;

    /// <summary>A kit whose exercises use the built-in plugins of <paramref name="builtInFolders"/> (by default the host's: <see cref="PluginCatalog.DefaultFolders"/>).</summary>
    public PluginChecks(IEnumerable<string>? builtInFolders = null)
    {
        this.builtInFolders = (builtInFolders ?? PluginCatalog.DefaultFolders()).Select(Path.GetFullPath).ToList();
        foreach (var folder in this.builtInFolders) catalog.AddFolder(folder);
        registry = new PluginRegistry(catalog);
    }

    /// <summary>
    /// How long one case may run (default 2 minutes): a case that hangs (a dataset whose load never
    /// returns, a step that waits forever) fails with this said, and its thread is left behind.
    /// </summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Every plugin loaded: the built-ins and those of the folders added.</summary>
    public PluginRegistry Registry
    {
        get { lock (gate) return registry; }
    }

    /// <summary>
    /// Loads the plugin folder <paramref name="folder"/> (once; again is a no-op).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public PluginChecks Add(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"plugin folder not found: {full}");
        lock (gate)
        {
            if (!added.Add(full)) return this;
            catalog.AddFolder(full);
            registry = new PluginRegistry(catalog);
        }
        return this;
    }

    /// <summary>
    /// The cases of the plugins in <paramref name="folder"/> (loading it first): each plugin's checks
    /// that apply to its kind, then one <see cref="Load"/> case per assembly there that did not load.
    /// </summary>
    public IReadOnlyList<ConformanceCase> Cases(string folder)
    {
        Add(folder);
        var cases = new List<ConformanceCase>();
        foreach (var d in PluginsIn(folder).OrderBy(p => p.Id, StringComparer.Ordinal))
            cases.AddRange(Checks.Where(c => Applies(c, d.Kind)).Select(c => new ConformanceCase(d.Id, c)));
        cases.AddRange(FailuresIn(folder).Select(f => new ConformanceCase(f.Path, Load)).Distinct());
        return cases;
    }

    /// <summary>The plugins loaded from <paramref name="folder"/> (built-ins loaded from it too when it is theirs).</summary>
    public IReadOnlyList<PluginDescriptor> PluginsIn(string folder) =>
        Registry.Catalog.Plugins.Where(p => PluginCatalog.IsUnder(p.AssemblyPath, folder)).ToList();

    /// <summary>The assemblies of <paramref name="folder"/> that did not load, with the reasons.</summary>
    public IReadOnlyList<PluginLoadFailure> FailuresIn(string folder)
    {
        lock (gate) return catalog.Failures.Where(f => PluginCatalog.IsUnder(f.Path, folder)).ToList();
    }

    /// <summary>What the catalog noted in <paramref name="folder"/>: plugin-kind classes without [Plugin], private SDK copies.</summary>
    public IReadOnlyList<PluginNote> NotesIn(string folder)
    {
        lock (gate) return catalog.Notes.Where(n => PluginCatalog.IsUnder(n.Path, folder)).ToList();
    }

    /// <summary>Whether <paramref name="check"/> applies to a plugin of <paramref name="kind"/>.</summary>
    public static bool Applies(string check, PluginKind kind) => check != "resume" || kind == PluginKind.Method;

    /// <summary>
    /// Runs one case: <paramref name="plugin"/> is a plugin id ("method/simclr") or, for
    /// <see cref="Load"/>, an assembly path from <see cref="Cases"/>. Never throws for a plugin's
    /// fault: an expectation that fails, or an exception from the plugin, is a failed result.
    /// </summary>
    public ConformanceResult Run(string plugin, string check)
    {
        var clock = Stopwatch.StartNew();
        // On a thread of its own (a background one, so a hung case never holds the process) to bound its time.
        var run = Task.Factory.StartNew(() => Dispatch(plugin, check), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!run.Wait(TimeLimit))
                return new(plugin, check, false, $"did not finish within {TimeLimit.TotalSeconds:0} s (left running): a load, step or evaluation that never returns?", clock.Elapsed);
            return new(plugin, check, true, null, clock.Elapsed);
        }
        catch (AggregateException a) when (a.InnerExceptions.Count == 1)
        {
            return Failed(plugin, check, a.InnerExceptions[0], clock.Elapsed);
        }
    }

    /// <summary>A failed expectation gives its reason; anything else the plugin threw is named with its type (and kept for a test's report).</summary>
    private static ConformanceResult Failed(string plugin, string check, Exception e, TimeSpan elapsed)
    {
        if (e is ConformanceException) return new(plugin, check, false, e.Message, elapsed);
        var inner = e is System.Reflection.TargetInvocationException { InnerException: { } i } ? i : e;
        return new(plugin, check, false, $"{inner.GetType().Name}: {inner.Message}", elapsed, inner);
    }

    private void Dispatch(string plugin, string check)
    {
        if (check == Load)
        {
            var failure = catalog.Failures.FirstOrDefault(f => f.Path == plugin);
            Expect.That(failure is null, $"not loaded: {failure?.Reason}");
            return;
        }
        var r = Registry;
        var d = r.Catalog.Plugins.FirstOrDefault(p => p.Id == plugin)
                ?? throw new ConformanceException($"no plugin {plugin} is loaded (the ids are kind/name, e.g. method/simclr)");
        if (!Applies(check, d.Kind)) throw new ConformanceException($"{check} does not apply to a {d.Kind.Yaml()}");
        switch (check)
        {
            case "defaults": OptionChecks.Defaults(d); break;
            case "docs": OptionChecks.Docs(d); break;
            case "yaml": OptionChecks.Yaml(d); break;
            case "exercise": new Exercises(r, BuiltInsHint).Run(d); break;
            case "resume": MethodHarness.Resume(r, d, BuiltInsHint); break;
            default: throw new ConformanceException($"no check named {check} (the checks: {string.Join(", ", Checks)})");
        }
    }

    private string BuiltInsHint => $"the built-in plugins are looked for in {string.Join(", ", builtInFolders)}";

    public void Dispose() => Registry.Dispose();
}
