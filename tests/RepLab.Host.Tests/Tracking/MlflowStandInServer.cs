using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RepLab.Host.Tests.Tracking;

/// <summary>
/// A STAND-IN for an MLflow tracking server, NOT MLflow: a small HTTP/1.1 server on 127.0.0.1
/// (a TcpListener, one request per connection) that implements the REST 2.0 calls RepLab makes
/// and enforces the rules MLflow documents for them: Content-Type application/json on POSTs,
/// log-batch limits (1,000 metrics, 100 params, 100 tags, 1,000 items, 1 MB), key syntax and
/// length, param value length, param immutability, and <c>{"error_code","message"}</c> error
/// bodies with MLflow's codes. It checks our side of the contract; it says nothing about
/// whether a real MLflow accepts what it accepts. Faults can be switched on: refusing
/// connections, or answering 503.
/// </summary>
public sealed class MlflowStandInServer : IDisposable
{
    public sealed class Run
    {
        public required string RunId { get; init; }
        public required string ExperimentId { get; init; }
        public string RunName { get; set; } = "";
        public string Status { get; set; } = "RUNNING";
        public long? EndTime { get; set; }
        public Dictionary<string, string> Params { get; } = new();
        public Dictionary<string, string> Tags { get; } = new();
        public List<(string Key, double Value, long Timestamp, long Step)> Metrics { get; } = new();
        /// <summary>Dataset inputs as log-inputs sent them, once per name and digest (the first kept, as MLflow's stores keep it).</summary>
        public List<JsonObject> Inputs { get; } = new();
    }

    public sealed record Request(string Method, string Path, string? ContentType, string? Authorization, int BodyBytes, int Status);

    private readonly Lock gate = new();
    private readonly Dictionary<string, string> experiments = new() { ["0"] = "Default" };
    private TcpListener? listener;
    private int nextExperiment = 1;

    public MlflowStandInServer()
    {
        listener = Loopback.Listen(0, OnConnection);
        Port = listener.Port();
    }

    public int Port { get; }
    public Uri Uri => new($"http://127.0.0.1:{Port}");

    public ConcurrentDictionary<string, Run> Runs { get; } = new();
    public ConcurrentDictionary<string, byte[]> Artifacts { get; } = new();
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Exceptions of the stand-in's own handlers (should stay empty).</summary>
    public ConcurrentQueue<Exception> HandlerErrors { get; } = new();

    /// <summary>When true every request gets 503 with an MLflow error body.</summary>
    public volatile bool Unavailable;

    /// <summary>Closes the listening socket: connections are refused until <see cref="AcceptConnections"/>.</summary>
    public void RefuseConnections()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void AcceptConnections()
    {
        lock (gate)
        {
            listener ??= Loopback.Listen(Port, OnConnection);
        }
    }

    public void Dispose()
    {
        RefuseConnections();
        if (!HandlerErrors.IsEmpty) throw new InvalidOperationException("the stand-in failed: " + HandlerErrors.First());
    }

    private void OnConnection(TcpClient client) => _ = Task.Run(() => Serve(client));

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new List<byte>();
                while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
                {
                    var b = stream.ReadByte();
                    if (b < 0) return;
                    head.Add((byte)b);
                }
                var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
                var requestLine = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
                var length = int.Parse(headers.GetValueOrDefault("content-length", "0"));
                var body = new byte[length];
                await stream.ReadExactlyAsync(body);
                (int status, string json) = (500, "");
                try { (status, json) = Handle(requestLine[0], requestLine[1], headers.GetValueOrDefault("content-type"), body); }
                catch (Exception e) when (e is not IOException)
                {
                    // A stand-in bug must show up in the test, not as a dropped connection the client retries.
                    (status, json) = Error(500, "INTERNAL_ERROR", "stand-in failed: " + e);
                    HandlerErrors.Enqueue(e);
                }
                Requests.Enqueue(new Request(requestLine[0], requestLine[1], headers.GetValueOrDefault("content-type"),
                    headers.GetValueOrDefault("authorization"), length, status));
                var payload = Encoding.UTF8.GetBytes(json);
                var response = $"HTTP/1.1 {status} {(HttpStatusCode)status}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                await stream.WriteAsync(payload);
            }
            catch (IOException) { }
        }
    }

    private static (int, string) Error(int status, string code, string message) =>
        (status, new JsonObject { ["error_code"] = code, ["message"] = message }.ToJsonString());

    private static readonly Regex KeyPattern = new(@"^[/\w.\- ]*$");

    private static string? BadKey(string key)
    {
        if (key.Length == 0 || key.Length > 250) return $"Invalid name '{key}': length must be 1 to 250";
        if (!KeyPattern.IsMatch(key)) return $"Invalid name '{key}': names may only contain alphanumerics, underscores, dashes, periods, spaces and slashes";
        var segments = key.Split('/');
        if (key.StartsWith('/') || segments.Any(s => s is "" or "." or "..")) return $"Invalid name '{key}': not a normalized relative path";
        return null;
    }

    private (int, string) Handle(string method, string target, string? contentType, byte[] body)
    {
        if (Unavailable) return Error(503, "TEMPORARILY_UNAVAILABLE", "stand-in told to be unavailable");
        var path = target.Split('?')[0];
        var query = target.Contains('?')
            ? target[(target.IndexOf('?') + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p.ElementAtOrDefault(1) ?? ""))
            : new Dictionary<string, string>();

        if (method == "PUT" && path.StartsWith("/api/2.0/mlflow-artifacts/artifacts/", StringComparison.Ordinal))
        {
            Artifacts[Uri.UnescapeDataString(path["/api/2.0/mlflow-artifacts/artifacts/".Length..])] = body;
            return (200, "{}");
        }
        if (!path.StartsWith("/api/2.0/mlflow/", StringComparison.Ordinal)) return Error(404, "ENDPOINT_NOT_FOUND", $"no endpoint {path}");
        var endpoint = path["/api/2.0/mlflow/".Length..];
        JsonNode? json = null;
        if (method == "POST")
        {
            if (contentType is null || !contentType.StartsWith("application/json", StringComparison.Ordinal))
                return Error(400, "INVALID_PARAMETER_VALUE", "Bad Request. Content-Type must be one of ['application/json']");
            try { json = JsonNode.Parse(body); }
            catch (JsonException) { return Error(400, "MALFORMED_REQUEST", "body is not JSON"); }
        }
        lock (gate)
        {
            switch (method, endpoint)
            {
                case ("GET", "experiments/get-by-name"):
                {
                    var name = query.GetValueOrDefault("experiment_name", "");
                    var found = experiments.FirstOrDefault(e => e.Value == name);
                    return found.Key is null
                        ? Error(404, "RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'")
                        : (200, new JsonObject { ["experiment"] = new JsonObject { ["experiment_id"] = found.Key, ["name"] = name, ["lifecycle_stage"] = "active" } }.ToJsonString());
                }
                case ("POST", "experiments/create"):
                {
                    var name = (string?)json!["name"] ?? "";
                    if (experiments.ContainsValue(name)) return Error(400, "RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists.");
                    var id = (nextExperiment++).ToString();
                    experiments[id] = name;
                    return (200, new JsonObject { ["experiment_id"] = id }.ToJsonString());
                }
                case ("POST", "runs/create"):
                {
                    var experimentId = (string?)json!["experiment_id"] ?? "0";
                    if (!experiments.ContainsKey(experimentId)) return Error(404, "RESOURCE_DOES_NOT_EXIST", $"No experiment with id {experimentId}");
                    var run = new Run { RunId = Guid.NewGuid().ToString("N"), ExperimentId = experimentId, RunName = (string?)json["run_name"] ?? "" };
                    foreach (var t in json["tags"]?.AsArray() ?? []) run.Tags[(string)t!["key"]!] = (string)t["value"]!;
                    Runs[run.RunId] = run;
                    return (200, new JsonObject { ["run"] = RunJson(run) }.ToJsonString());
                }
                case ("POST", "runs/update"):
                {
                    if (!Runs.TryGetValue((string?)json!["run_id"] ?? "", out var run)) return NoRun(json);
                    run.Status = (string?)json["status"] ?? run.Status;
                    run.EndTime = (long?)json["end_time"];
                    return (200, new JsonObject { ["run_info"] = RunJson(run)["info"]!.DeepClone() }.ToJsonString());
                }
                case ("POST", "runs/set-tag"):
                {
                    if (!Runs.TryGetValue((string?)json!["run_id"] ?? "", out var run)) return NoRun(json);
                    var key = (string)json["key"]!;
                    if (BadKey(key) is { } bad) return Error(400, "INVALID_PARAMETER_VALUE", bad);
                    run.Tags[key] = (string)json["value"]!;
                    return (200, "{}");
                }
                case ("POST", "runs/log-batch"):
                    return LogBatch(json!, body.Length);
                case ("POST", "runs/log-inputs"):
                    return LogInputs(json!);
                case ("GET", "runs/get"):
                    return Runs.TryGetValue(query.GetValueOrDefault("run_id", ""), out var got)
                        ? (200, new JsonObject { ["run"] = RunJson(got) }.ToJsonString())
                        : Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{query.GetValueOrDefault("run_id")}' not found");
                case ("POST", "runs/search"):
                {
                    var ids = json!["experiment_ids"]!.AsArray().Select(x => (string)x!).ToHashSet();
                    var filter = (string?)json["filter"];
                    Func<Run, bool> match = _ => true;
                    if (!string.IsNullOrEmpty(filter))
                    {
                        var m = Regex.Match(filter, @"^tags\.`([^`]+)` = '([^']*)'$");
                        if (!m.Success) return Error(400, "INVALID_PARAMETER_VALUE", $"stand-in understands only tags.`key` = 'value', not {filter}");
                        match = r => r.Tags.GetValueOrDefault(m.Groups[1].Value) == m.Groups[2].Value;
                    }
                    var runs = new JsonArray(Runs.Values.Where(r => ids.Contains(r.ExperimentId) && match(r)).Select(r => (JsonNode)RunJson(r)).ToArray());
                    return (200, new JsonObject { ["runs"] = runs }.ToJsonString());
                }
                case ("GET", "metrics/get-history"):
                {
                    if (!Runs.TryGetValue(query.GetValueOrDefault("run_id", ""), out var run)) return Error(404, "RESOURCE_DOES_NOT_EXIST", "run not found");
                    var key = query.GetValueOrDefault("metric_key", "");
                    var points = new JsonArray(run.Metrics.Where(p => p.Key == key)
                        .Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = Number(p.Value), ["timestamp"] = p.Timestamp, ["step"] = p.Step }).ToArray());
                    return (200, new JsonObject { ["metrics"] = points }.ToJsonString());
                }
                default:
                    return Error(404, "ENDPOINT_NOT_FOUND", $"{method} {endpoint} is not served by the stand-in");
            }
        }
    }

    /// <summary>MLflow's JSON spells non-finite doubles as strings.</summary>
    private static JsonNode Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");

    private static (int, string) NoRun(JsonNode json) => Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{json["run_id"]}' not found");

    private (int, string) LogBatch(JsonNode json, int bytes)
    {
        if (!Runs.TryGetValue((string?)json["run_id"] ?? "", out var run)) return NoRun(json);
        var metrics = json["metrics"]?.AsArray() ?? [];
        var parameters = json["params"]?.AsArray() ?? [];
        var tags = json["tags"]?.AsArray() ?? [];
        if (bytes > 1_000_000) return Error(400, "INVALID_PARAMETER_VALUE", $"Batched logging API requests must be at most 1000000 bytes, got {bytes}");
        if (metrics.Count > 1000) return Error(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics.");
        if (parameters.Count > 100) return Error(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 100 params. Got {parameters.Count} params.");
        if (tags.Count > 100) return Error(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 100 tags. Got {tags.Count} tags.");
        if (metrics.Count + parameters.Count + tags.Count > 1000) return Error(400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 total items.");
        foreach (var item in metrics.Concat(parameters).Concat(tags))
            if (BadKey((string?)item!["key"] ?? "") is { } bad) return Error(400, "INVALID_PARAMETER_VALUE", bad);
        foreach (var p in parameters)
        {
            var (key, value) = ((string)p!["key"]!, (string?)p["value"] ?? "");
            if (value.Length > 6000) return Error(400, "INVALID_PARAMETER_VALUE", $"Param value for '{key}' exceeds 6000 characters");
            if (run.Params.TryGetValue(key, out var old) && old != value)
                return Error(400, "INVALID_PARAMETER_VALUE", $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run.RunId}'. Attempted logging new value '{value}'.");
        }
        // All or nothing, as MLflow's batch is one transaction.
        foreach (var p in parameters) run.Params[(string)p!["key"]!] = (string?)p["value"] ?? "";
        foreach (var t in tags) run.Tags[(string)t!["key"]!] = (string?)t["value"] ?? "";
        foreach (var m in metrics)
        {
            var v = m!["value"]!;
            var value = v.GetValueKind() == JsonValueKind.String ? double.Parse((string)v!, System.Globalization.CultureInfo.InvariantCulture) : (double)v;
            run.Metrics.Add(((string)m["key"]!, value, (long)m["timestamp"]!, (long?)m["step"] ?? 0));
        }
        return (200, "{}");
    }

    /// <summary>MLflow's limits of a dataset input (utils/validation.py), by JSON field.</summary>
    private static readonly (string Field, int Max)[] DatasetLimits =
        [("name", 500), ("digest", 36), ("source_type", int.MaxValue), ("source", 65535), ("schema", 65535), ("profile", 16_777_215)];

    private (int, string) LogInputs(JsonNode json)
    {
        if (!Runs.TryGetValue((string?)json["run_id"] ?? "", out var run)) return NoRun(json);
        if (json["datasets"] is not JsonArray datasets) return Error(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'datasets'");
        if (datasets.Count > 1000) return Error(400, "INVALID_PARAMETER_VALUE", $"A logging request can contain at most 1000 datasets. Got {datasets.Count}.");
        foreach (var input in datasets)
        {
            if (input?["dataset"] is not JsonObject d) return Error(400, "INVALID_PARAMETER_VALUE", "Dataset input must have a dataset");
            foreach (var (field, max) in DatasetLimits)
            {
                var value = (string?)d[field];
                if (value is null && field is not ("schema" or "profile")) return Error(400, "INVALID_PARAMETER_VALUE", $"Dataset {field} cannot be None");
                if (value?.Length > max) return Error(400, "INVALID_PARAMETER_VALUE", $"Dataset {field} exceeds the maximum length of {max}");
            }
            foreach (var tag in input["tags"]?.AsArray() ?? [])
                if (((string?)tag!["key"])?.Length is null or > 255 || ((string?)tag["value"])?.Length is null or > 500)
                    return Error(400, "INVALID_PARAMETER_VALUE", "Input tag key must be at most 255 and value at most 500 characters");
        }
        foreach (var input in datasets)
        {
            var d = input!["dataset"]!;
            if (!run.Inputs.Any(i => (string?)i["dataset"]!["name"] == (string?)d["name"] && (string?)i["dataset"]!["digest"] == (string?)d["digest"]))
                run.Inputs.Add((JsonObject)input.DeepClone());
        }
        return (200, "{}");
    }

    private static JsonObject RunJson(Run run) => new()
    {
        ["inputs"] = new JsonObject { ["dataset_inputs"] = new JsonArray(run.Inputs.Select(i => i.DeepClone()).ToArray()) },
        ["info"] = new JsonObject
        {
            ["run_id"] = run.RunId, ["run_uuid"] = run.RunId, ["experiment_id"] = run.ExperimentId, ["run_name"] = run.RunName,
            ["status"] = run.Status, ["end_time"] = run.EndTime, ["lifecycle_stage"] = "active",
            ["artifact_uri"] = $"mlflow-artifacts:/{run.ExperimentId}/{run.RunId}/artifacts",
        },
        ["data"] = new JsonObject
        {
            ["params"] = new JsonArray(run.Params.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray()),
            ["tags"] = new JsonArray(run.Tags.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray()),
        },
    };
}
