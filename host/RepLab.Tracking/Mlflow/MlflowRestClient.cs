using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace RepLab.Tracking;

/// <summary>An error the MLflow server answered with: HTTP status and its <c>{"error_code","message"}</c> body.</summary>
public sealed class MlflowException(HttpStatusCode status, string errorCode, string message)
    : Exception($"MLflow {(int)status} {errorCode}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string ErrorCode { get; } = errorCode;
}

/// <summary>How to reach a tracking server: its URI and credentials from the MLFLOW_TRACKING_* variables.</summary>
public sealed record MlflowServer(Uri Uri, string? Token = null, string? Username = null, string? Password = null, bool InsecureTls = false)
{
    /// <summary>Credentials and TLS settings from MLFLOW_TRACKING_TOKEN, _USERNAME, _PASSWORD and _INSECURE_TLS.</summary>
    public static MlflowServer FromEnvironment(Uri uri, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        return new MlflowServer(uri, env("MLFLOW_TRACKING_TOKEN"), env("MLFLOW_TRACKING_USERNAME"), env("MLFLOW_TRACKING_PASSWORD"),
            env("MLFLOW_TRACKING_INSECURE_TLS") is { } v && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1"));
    }

    /// <summary>The URI without user info, for messages: credentials never reach a log.</summary>
    public string Display => new UriBuilder(Uri) { UserName = "", Password = "" }.Uri.ToString().TrimEnd('/');

    // Records print their members; this one holds secrets.
    public override string ToString() => Display;
}

/// <summary>
/// How hard one REST request tries. A run gives up on a server that refuses or does not answer at
/// once (<see cref="Run"/>: its upload is left to <c>replab sync</c>, see <see cref="ServerBreaker"/>);
/// <c>replab sync</c> retries (<see cref="Sync"/>). Either way every try has a time limit.
/// </summary>
/// <param name="MaxRetries">Retries after the first try (of 429 and 5xx answers, and with <paramref name="RetryUnreachable"/> of network errors and timed-out tries).</param>
/// <param name="FirstDelay">First backoff delay, doubled each retry, with jitter; at most 30 s.</param>
/// <param name="AttemptTimeout">Limit of one try, from sending to the whole answer read; an upload gets a second more per MB of its file.</param>
/// <param name="ConnectTimeout">Limit of opening a connection (TCP and TLS).</param>
/// <param name="RetryUnreachable">Whether a refused connection, a network error or a timed-out try is tried again.</param>
public sealed record MlflowRequestPolicy(int MaxRetries, TimeSpan FirstDelay, TimeSpan AttemptTimeout, TimeSpan ConnectTimeout, bool RetryUnreachable)
{
    /// <summary>A run's background upload: 429/5xx retried twice; a refused connection or a try over 5 s (3 s to connect) fails at once.</summary>
    public static MlflowRequestPolicy Run { get; } = new(2, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3), RetryUnreachable: false);

    /// <summary>The variable that sets a run's limit of one try, in seconds (a server far away or slow).</summary>
    public const string RunTimeoutVariable = "REPLAB_TRACKING_TIMEOUT";

    /// <summary><see cref="Run"/>, with the limit of one try from <see cref="RunTimeoutVariable"/> when it is set.</summary>
    public static MlflowRequestPolicy ForRun(Func<string, string?> env)
    {
        if (env(RunTimeoutVariable) is not { Length: > 0 } text) return Run;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || !(seconds is > 0 and <= 3600))
            throw new ArgumentException($"{RunTimeoutVariable}='{text}' is not a number of seconds between 0 and 3600: unset it for the default of {Run.AttemptTimeout.TotalSeconds:0} s");
        var limit = TimeSpan.FromSeconds(seconds);
        return Run with { AttemptTimeout = limit, ConnectTimeout = limit < Run.ConnectTimeout ? limit : Run.ConnectTimeout };
    }

    /// <summary><c>replab sync</c>: every failure retried 3 times (about 1, 2 and 4 s apart), each try at most 15 s (5 s to connect).</summary>
    public static MlflowRequestPolicy Sync { get; } = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5), RetryUnreachable: true);
}

/// <summary>
/// The MLflow REST API 2.0 calls RepLab needs. Each try has a time limit; 429 and 5xx answers (and,
/// as the <see cref="MlflowRequestPolicy"/> says, network errors and timeouts) are retried with
/// exponential backoff and jitter (Polly); other errors surface as <see cref="MlflowException"/>.
/// </summary>
public sealed class MlflowRestClient : IDisposable
{
    /// <summary>MLflow's log-batch limits.</summary>
    public const int MaxMetricsPerBatch = 1000, MaxParamsPerBatch = 100, MaxTagsPerBatch = 100, MaxItemsPerBatch = 1000, MaxBatchBytes = 1_000_000;

    /// <summary>Time a try gets beyond the policy's limit (an upload's size at 1 MB/s).</summary>
    private static readonly ResiliencePropertyKey<TimeSpan> ExtraTime = new("replab.extra-time");

    private readonly HttpClient http;
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;

    /// <param name="server">Where and as whom.</param>
    /// <param name="policy">Retries and time limits (default: <see cref="MlflowRequestPolicy.Run"/>).</param>
    public MlflowRestClient(MlflowServer server, MlflowRequestPolicy? policy = null)
    {
        Server = server;
        Policy = policy ??= MlflowRequestPolicy.Run;
        var handler = new SocketsHttpHandler { ConnectTimeout = policy.ConnectTimeout };
        if (server.InsecureTls) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        http = new HttpClient(handler) { BaseAddress = new Uri(server.Uri.ToString().TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (server.Token is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (server.Username is { Length: > 0 } user)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{server.Password}")));
        var retried = new PredicateBuilder<HttpResponseMessage>()
            .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500);
        if (policy.RetryUnreachable) retried = retried.Handle<HttpRequestException>().Handle<TimeoutRejectedException>();
        var attemptTimeout = policy.AttemptTimeout;
        pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = retried,
                MaxRetryAttempts = policy.MaxRetries,
                Delay = policy.FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                MaxDelay = TimeSpan.FromSeconds(30),
                // A retried response is dropped unread; free its connection.
                OnRetry = a => { a.Outcome.Result?.Dispose(); return ValueTask.CompletedTask; },
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = a => ValueTask.FromResult(attemptTimeout + a.Context.Properties.GetValue(ExtraTime, TimeSpan.Zero)),
            })
            .Build();
    }

    /// <summary>The retries and time limits of every request.</summary>
    public MlflowRequestPolicy Policy { get; }

    public MlflowServer Server { get; }

    public void Dispose() => http.Dispose();

    /// <summary>The experiment named <paramref name="name"/>, or null when the server has none.</summary>
    public async Task<MlflowExperiment?> GetExperimentByNameAsync(string name, CancellationToken ct = default)
    {
        try
        {
            var r = await GetAsync($"api/2.0/mlflow/experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}",
                MlflowJsonContext.Default.GetExperimentResponse, ct);
            return r.Experiment;
        }
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    public async Task<string> CreateExperimentAsync(string name, CancellationToken ct = default) =>
        (await PostAsync("api/2.0/mlflow/experiments/create", new CreateExperimentRequest(name),
            MlflowJsonContext.Default.CreateExperimentRequest, MlflowJsonContext.Default.CreateExperimentResponse, ct)).ExperimentId;

    /// <summary>The id of the experiment named <paramref name="name"/>, created when missing (another client may create it at the same time).</summary>
    public async Task<string> EnsureExperimentAsync(string name, CancellationToken ct = default)
    {
        if (await GetExperimentByNameAsync(name, ct) is { } found) return found.ExperimentId;
        try
        {
            return await CreateExperimentAsync(name, ct);
        }
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
            if (await GetExperimentByNameAsync(name, ct) is { } raced) return raced.ExperimentId;
            throw;
        }
    }

    public async Task<MlflowRunInfo> CreateRunAsync(string experimentId, string userId, string runName, long startTime,
        IEnumerable<MlflowKeyValue> tags, CancellationToken ct = default) =>
        (await PostAsync("api/2.0/mlflow/runs/create", new CreateRunRequest(experimentId, userId, runName, startTime, tags.ToList()),
            MlflowJsonContext.Default.CreateRunRequest, MlflowJsonContext.Default.RunResponse, ct)).Run.Info;

    /// <summary>Sets status ("RUNNING", "FINISHED", "FAILED", "KILLED") and end time.</summary>
    public Task UpdateRunAsync(string runId, string status, long? endTime, CancellationToken ct = default) =>
        PostAsync("api/2.0/mlflow/runs/update", new UpdateRunRequest(runId, status, endTime),
            MlflowJsonContext.Default.UpdateRunRequest, MlflowJsonContext.Default.UpdateRunResponse, ct);

    /// <summary>One log-batch request; the caller keeps it within MLflow's limits (see <see cref="Batches"/>).</summary>
    public Task LogBatchAsync(string runId, IEnumerable<MlflowMetric> metrics, IEnumerable<MlflowKeyValue> parameters,
        IEnumerable<MlflowKeyValue> tags, CancellationToken ct = default) =>
        PostAsync("api/2.0/mlflow/runs/log-batch", new LogBatchRequest(runId, metrics.ToList(), parameters.ToList(), tags.ToList()),
            MlflowJsonContext.Default.LogBatchRequest, MlflowJsonContext.Default.EmptyResponse, ct);

    /// <summary>MLflow's log-inputs limit of datasets per request.</summary>
    public const int MaxInputsPerRequest = 1000;

    /// <summary>
    /// One log-inputs request (at most <see cref="MaxInputsPerRequest"/> datasets): each dataset with its
    /// context tag. The server keeps a dataset once per run by name and digest, so sending it again changes nothing.
    /// </summary>
    public Task LogInputsAsync(string runId, IEnumerable<DatasetInput> datasets, CancellationToken ct = default) =>
        PostAsync("api/2.0/mlflow/runs/log-inputs", new LogInputsRequest(runId, datasets.Select(MlflowDatasetInput.Of).ToList()),
            MlflowJsonContext.Default.LogInputsRequest, MlflowJsonContext.Default.EmptyResponse, ct);

    public Task SetTagAsync(string runId, string key, string value, CancellationToken ct = default) =>
        PostAsync("api/2.0/mlflow/runs/set-tag", new SetTagRequest(runId, key, value),
            MlflowJsonContext.Default.SetTagRequest, MlflowJsonContext.Default.EmptyResponse, ct);

    public async Task<MlflowRun> GetRunAsync(string runId, CancellationToken ct = default) =>
        (await GetAsync($"api/2.0/mlflow/runs/get?run_id={Uri.EscapeDataString(runId)}", MlflowJsonContext.Default.RunResponse, ct)).Run;

    /// <summary>Every run of the experiments matching <paramref name="filter"/> (MLflow search syntax), all pages.</summary>
    public async Task<List<MlflowRun>> SearchRunsAsync(IEnumerable<string> experimentIds, string? filter, CancellationToken ct = default)
    {
        var runs = new List<MlflowRun>();
        string? token = null;
        do
        {
            var page = await PostAsync("api/2.0/mlflow/runs/search", new SearchRunsRequest(experimentIds.ToList(), filter, 1000, token),
                MlflowJsonContext.Default.SearchRunsRequest, MlflowJsonContext.Default.SearchRunsResponse, ct);
            runs.AddRange(page.Runs ?? []);
            token = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        } while (token is not null);
        return runs;
    }

    /// <summary>Every point of one metric, all pages.</summary>
    public async Task<List<MlflowMetric>> GetMetricHistoryAsync(string runId, string key, CancellationToken ct = default)
    {
        var points = new List<MlflowMetric>();
        string? token = null;
        do
        {
            var url = $"api/2.0/mlflow/metrics/get-history?run_id={Uri.EscapeDataString(runId)}&metric_key={Uri.EscapeDataString(key)}&max_results=25000";
            if (token is not null) url += $"&page_token={Uri.EscapeDataString(token)}";
            var page = await GetAsync(url, MlflowJsonContext.Default.MetricHistoryResponse, ct);
            points.AddRange(page.Metrics ?? []);
            token = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        } while (token is not null);
        return points;
    }

    /// <summary>True when the server stores this run's artifacts itself (<c>mlflow-artifacts:</c> URIs, the proxied artifact store).</summary>
    public static bool CanUploadArtifacts(string? artifactUri) => artifactUri?.StartsWith("mlflow-artifacts:", StringComparison.Ordinal) == true;

    /// <summary>
    /// Uploads one file through the server's artifact proxy:
    /// <c>PUT /api/2.0/mlflow-artifacts/artifacts/&lt;experiment&gt;/&lt;run&gt;/artifacts/&lt;path&gt;</c>.
    /// </summary>
    public async Task UploadArtifactAsync(string artifactUri, string artifactPath, string localFile, CancellationToken ct = default)
    {
        if (!CanUploadArtifacts(artifactUri)) throw new ArgumentException($"artifact URI '{artifactUri}' is not served by the tracking server");
        // mlflow-artifacts:/1/abc/artifacts or mlflow-artifacts://host:port/1/abc/artifacts: keep the path.
        var rest = artifactUri["mlflow-artifacts:".Length..];
        if (rest.StartsWith("//", StringComparison.Ordinal)) rest = rest[(rest.IndexOf('/', 2) is var i and >= 0 ? i : rest.Length)..];
        var path = string.Join('/', (rest.Trim('/') + "/" + artifactPath).Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        // A large file over a slow link must not look like a server that does not answer.
        var extra = TimeSpan.FromSeconds(new FileInfo(localFile).Length / 1e6);
        using var response = await SendAsync(() =>
        {
            var content = new StreamContent(File.OpenRead(localFile));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return new HttpRequestMessage(HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/" + path) { Content = content };
        }, ct, extra);
    }

    /// <summary>
    /// Splits metrics, params and tags into log-batch requests within MLflow's limits (1,000
    /// metrics, 100 params, 100 tags, 1,000 items, 1 MB), keeping their order.
    /// </summary>
    public static IEnumerable<(List<MlflowMetric> metrics, List<MlflowKeyValue> parameters, List<MlflowKeyValue> tags)> Batches(
        IReadOnlyList<MlflowMetric> metrics, IReadOnlyList<MlflowKeyValue> parameters, IReadOnlyList<MlflowKeyValue> tags)
    {
        // Generous per-item byte estimates (JSON quoting, escapes, field names) keep the sum below 1 MB without serializing twice.
        static int Size(string s) => Encoding.UTF8.GetByteCount(s) * 2 + 32;
        var (m, p, t) = (0, 0, 0);
        while (m < metrics.Count || p < parameters.Count || t < tags.Count)
        {
            var (bm, bp, bt) = (new List<MlflowMetric>(), new List<MlflowKeyValue>(), new List<MlflowKeyValue>());
            var bytes = 200;
            bool Fits(int size) => bm.Count + bp.Count + bt.Count < MaxItemsPerBatch && bytes + size <= MaxBatchBytes;
            while (p < parameters.Count && bp.Count < MaxParamsPerBatch && Fits(Size(parameters[p].Key) + Size(parameters[p].Value)))
            { bytes += Size(parameters[p].Key) + Size(parameters[p].Value); bp.Add(parameters[p++]); }
            while (t < tags.Count && bt.Count < MaxTagsPerBatch && Fits(Size(tags[t].Key) + Size(tags[t].Value)))
            { bytes += Size(tags[t].Key) + Size(tags[t].Value); bt.Add(tags[t++]); }
            while (m < metrics.Count && bm.Count < MaxMetricsPerBatch && Fits(Size(metrics[m].Key) + 80))
            { bytes += Size(metrics[m].Key) + 80; bm.Add(metrics[m++]); }
            yield return (bm, bp, bt);
        }
    }

    private async Task<TResponse> GetAsync<TResponse>(string url, JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), ct);
        return await ReadAsync(response, responseType, ct);
    }

    private async Task<TResponse> PostAsync<TRequest, TResponse>(string url, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        using var response = await SendAsync(() =>
        {
            // MLflow's server refuses JSON bodies without this content type.
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        }, ct);
        return await ReadAsync(response, responseType, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        return JsonSerializer.Deserialize(string.IsNullOrWhiteSpace(text) ? "{}" : text, type)!;
    }

    /// <summary>Sends through the retry pipeline (a fresh request per try) and turns an error response into <see cref="MlflowException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken ct, TimeSpan extraTime = default)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(ExtraTime, extraTime);
        HttpResponseMessage response;
        try
        {
            response = await pipeline.ExecuteAsync(async c =>
            {
                using var message = request();
                return await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, c.CancellationToken);
            }, context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            MlflowErrorBody? error = null;
            try { error = JsonSerializer.Deserialize(text, MlflowJsonContext.Default.MlflowErrorBody); }
            catch (JsonException) { }
            throw new MlflowException(response.StatusCode, error?.ErrorCode ?? response.StatusCode.ToString(),
                error?.Message ?? (text.Length > 300 ? text[..300] : text));
        }
    }
}
