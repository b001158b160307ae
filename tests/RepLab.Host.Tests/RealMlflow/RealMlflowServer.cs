using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace RepLab.Host.Tests.RealMlflow;

/// <summary>
/// A real MLflow tracking server (2.12, from <c>../shared/mlflow-server</c> beside the repository, or
/// <c>REPLAB_MLFLOW_SERVER_DIR</c>) on a free loopback port with a sqlite backend in a temporary
/// folder: started once for the collection, stopped and restarted by the outage test, removed at
/// the end. <c>./replab test</c> runs these tests only where that folder exists and says so otherwise.
/// </summary>
public sealed class RealMlflowServer : IDisposable
{
    /// <summary>Where the server's scripts are, or null when this machine has none.</summary>
    public static string? ScriptsDir { get; } = Locate();

    private static string? Locate()
    {
        var given = Environment.GetEnvironmentVariable("REPLAB_MLFLOW_SERVER_DIR");
        var dir = string.IsNullOrEmpty(given) ? Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "mlflow-server")) : given;
        return File.Exists(Path.Combine(dir, "start.sh")) ? dir : null;
    }

    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public RealMlflowServer()
    {
        if (ScriptsDir is null)
            throw new InvalidOperationException("no real MLflow server here: ../shared/mlflow-server (or REPLAB_MLFLOW_SERVER_DIR) is missing; ./replab test leaves these tests out then");
        State = Directory.CreateTempSubdirectory("replab-real-mlflow-").FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Start();
    }

    public int Port { get; }

    /// <summary>The server's state folder: the unpacked MLflow source (for the Python client), mlflow.db, artifacts.</summary>
    public string State { get; }

    public Uri Uri => new($"http://127.0.0.1:{Port}");

    public void Start() => Script("start.sh", 300);

    public void Stop() => Script("stop.sh", 60);

    private void Script(string name, int seconds)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(ScriptsDir!, name), Port.ToString(), State]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} did not finish in {seconds} s: {stderr.Result}");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{name} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
    }

    /// <summary>GET or POST to the REST API 2.0; the parsed answer.</summary>
    public JsonNode Api(string path, object? body = null)
    {
        var url = new Uri(Uri, "/api/2.0/mlflow/" + path);
        using var response = body is null
            ? http.GetAsync(url).Result
            : http.PostAsync(url, new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json")).Result;
        var text = response.Content.ReadAsStringAsync().Result;
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Every run of experiment <paramref name="name"/> on the server (none when it does not exist).</summary>
    public List<JsonNode> Runs(string name)
    {
        JsonNode experiment;
        try { experiment = Api($"experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}"); }
        catch (HttpRequestException e) when (e.Message.Contains("RESOURCE_DOES_NOT_EXIST")) { return []; }
        var id = experiment["experiment"]!["experiment_id"]!.GetValue<string>();
        return Api("runs/search", new { experiment_ids = new[] { id }, max_results = 1000, run_view_type = "ALL" })["runs"]?.AsArray().Select(r => r!).ToList() ?? [];
    }

    /// <summary>A metric's whole history on the server: (step, value) in the server's order.</summary>
    public List<(long Step, double Value)> History(string runId, string key) =>
        Api($"metrics/get-history?run_id={runId}&metric_key={Uri.EscapeDataString(key)}&max_results=25000")["metrics"]?.AsArray()
            .Select(m => (long.Parse(m!["step"]!.ToString()), m["value"]!.GetValue<double>())).ToList() ?? [];

    /// <summary>Artifact paths at the run's root.</summary>
    public List<string> Artifacts(string runId) =>
        Api($"artifacts/list?run_id={runId}")["files"]?.AsArray().Select(f => f!["path"]!.GetValue<string>()).ToList() ?? [];

    /// <summary>Runs <paramref name="script"/> with the real MLflow Python client on the path; its standard output.</summary>
    public string Python(string script)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["PYTHONPATH"] = Path.Combine(State, "src");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) throw new TimeoutException($"the MLflow client did not finish in 120 s: {stderr.Result}");
        if (p.ExitCode != 0) throw new InvalidOperationException($"the MLflow client failed ({p.ExitCode}): {stderr.Result}");
        return stdout;
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { /* already stopped */ }
        http.Dispose();
        Directory.Delete(State, recursive: true);
    }
}

[CollectionDefinition("real MLflow")]
public sealed class RealMlflowCollection : ICollectionFixture<RealMlflowServer>;
