namespace RepLab.Tracking;

/// <summary>
/// Where runs are tracked: always a local file store, plus a server when the tracking URI is
/// http(s). Parsed from a tracking URI as MLflow reads MLFLOW_TRACKING_URI: empty means
/// <c>./mlruns</c>, a path or <c>file:</c> URI names the store, http(s) names a server (the local
/// store is then REPLAB_LOCAL_STORE or <c>./mlruns</c>).
/// </summary>
public sealed record TrackingTarget(string LocalStore, MlflowServer? Server)
{
    public const string DefaultStore = "mlruns";

    /// <summary>
    /// The tracking URI a run or command uses, decided here alone: MLFLOW_TRACKING_URI when set (as
    /// MLflow reads it: it points any experiment at a server without editing it), else the
    /// experiment's <c>tracking.uri</c> (or a command's option), else <c>mlruns</c>.
    /// </summary>
    public static string ResolveUri(string? configured, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (env("MLFLOW_TRACKING_URI") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        return string.IsNullOrWhiteSpace(configured) ? DefaultStore : configured;
    }

    /// <summary><paramref name="uri"/> without credentials (user:password@), for params, tags and logs.</summary>
    public static string Display(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.UserInfo.Length > 0 ? uri.Replace(u.UserInfo + "@", "***@", StringComparison.Ordinal) : uri;

    public static TrackingTarget Parse(string? uri, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var local = env("REPLAB_LOCAL_STORE") is { Length: > 0 } s ? s : DefaultStore;
        if (string.IsNullOrWhiteSpace(uri)) return new TrackingTarget(Path.GetFullPath(local), null);
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new TrackingTarget(Path.GetFullPath(local), MlflowServer.FromEnvironment(new Uri(uri), env));
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return new TrackingTarget(Path.GetFullPath(new Uri(uri).LocalPath), null);
        if (uri.Contains("://", StringComparison.Ordinal) || uri.StartsWith("databricks", StringComparison.Ordinal))
            throw new ArgumentException($"tracking URI '{uri}' is not supported: use a path, a file: URI or an http(s) MLflow server");
        return new TrackingTarget(Path.GetFullPath(uri), null);
    }
}

/// <summary>
/// The one way the run lifecycle gets its MLflow tracker:
/// <code>using var tracker = TrackerFactory.FromEnvironment();  // or Create(config.tracking.uri)
/// tracker.Emit(new RunStarted(...)); ... tracker.Emit(new RunEnded(...));</code>
/// Offline-first: the run is written to the local store whatever the server does, and earlier
/// runs the server missed are uploaded in the background. A server that refuses or does not
/// answer (within REPLAB_TRACKING_TIMEOUT, 5 s by default) is left alone for a while by every run
/// of the store (<see cref="ServerBreaker"/>); <c>replab sync</c> uploads what they kept.
/// </summary>
public static class TrackerFactory
{
    /// <summary>A tracker for <paramref name="trackingUri"/>; null or empty means MLFLOW_TRACKING_URI, then <c>./mlruns</c>.</summary>
    /// <param name="trackingUri">A path, file: URI or http(s) server.</param>
    /// <param name="log">Where upload problems are reported (stderr by default).</param>
    /// <param name="env">Environment lookup (tests pass their own).</param>
    public static MlflowTracker Create(string? trackingUri, TextWriter? log = null, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var target = TrackingTarget.Parse(string.IsNullOrWhiteSpace(trackingUri) ? TrackingTarget.ResolveUri(null, env) : trackingUri, env);
        var store = new MlflowFileStore(target.LocalStore);
        var uploader = target.Server is { } server ? new OfflineUploader(store, new MlflowRestClient(server, MlflowRequestPolicy.ForRun(env)), log) : null;
        return new MlflowTracker(store, uploader);
    }

    /// <summary>A tracker for MLFLOW_TRACKING_URI (local <c>./mlruns</c> when unset).</summary>
    public static MlflowTracker FromEnvironment(TextWriter? log = null) => Create(null, log);
}
