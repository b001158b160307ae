using System.Net;
using FluentAssertions;
using RepLab.Tracking;
using Xunit;

namespace RepLab.Host.Tests.Tracking;

/// <summary>Our side of the MLflow REST 2.0 contract, checked by <see cref="MlflowStandInServer"/> (a stand-in, not MLflow).</summary>
public class MlflowRestClientTests : IDisposable
{
    private readonly MlflowStandInServer server = new();

    public void Dispose() => server.Dispose();

    private MlflowRestClient Client(MlflowServer? s = null) =>
        new(s ?? new MlflowServer(server.Uri), MlflowRequestPolicy.Sync with { MaxRetries = 3, FirstDelay = TimeSpan.FromMilliseconds(10) });

    [Fact]
    public async Task Posts_are_json_with_the_configured_auth()
    {
        using (var c = Client(new MlflowServer(server.Uri, Token: "s3cret-token")))
            await c.EnsureExperimentAsync("e");
        server.Requests.Should().Contain(r => r.Method == "POST").And.OnlyContain(r => r.Authorization == "Bearer s3cret-token");
        server.Requests.Where(r => r.Method == "POST").Should().OnlyContain(r => r.ContentType!.StartsWith("application/json"));

        using (var c = Client(new MlflowServer(server.Uri, Username: "ann", Password: "pw")))
            await c.GetExperimentByNameAsync("e");
        server.Requests.Last().Authorization.Should().Be("Basic " + Convert.ToBase64String("ann:pw"u8.ToArray()));
    }

    [Fact]
    public async Task The_stand_in_refuses_posts_without_json_content_type()
    {
        // Proves the stand-in's check can fail, so the test above means something.
        using var http = new HttpClient();
        var r = await http.PostAsync(new Uri(server.Uri, "/api/2.0/mlflow/experiments/create"), new StringContent("{\"name\":\"x\"}", System.Text.Encoding.UTF8, "text/plain"));
        r.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await r.Content.ReadAsStringAsync()).Should().Contain("\"error_code\":\"INVALID_PARAMETER_VALUE\"");
    }

    [Fact]
    public async Task Experiments_and_runs_round_trip()
    {
        using var c = Client();
        var id = await c.EnsureExperimentAsync("simclr");
        (await c.EnsureExperimentAsync("simclr")).Should().Be(id);
        (await c.GetExperimentByNameAsync("absent")).Should().BeNull();
        var run = await c.CreateRunAsync(id, "me", "trial", 1000, [new("k", "v")]);
        run.Status.Should().Be("RUNNING");
        await c.SetTagAsync(run.RunId, "phase", "eval");
        await c.LogBatchAsync(run.RunId, [new MlflowMetric("loss", double.NaN, 5, 1), new MlflowMetric("loss", 0.5, 6, 2)], [new("lr", "0.1")], []);
        await c.UpdateRunAsync(run.RunId, "FINISHED", 2000);
        var got = await c.GetRunAsync(run.RunId);
        got.Info.Status.Should().Be("FINISHED");
        got.Info.EndTime.Should().Be(2000);
        got.Data!.Tags.Should().Contain(new MlflowKeyValue("phase", "eval"));
        got.Data.Params.Should().Contain(new MlflowKeyValue("lr", "0.1"));
        var history = await c.GetMetricHistoryAsync(run.RunId, "loss");
        history.Select(p => p.Step).Should().Equal(1, 2);
        double.IsNaN(history[0].Value).Should().BeTrue("NaN travels as MLflow's \"NaN\" string");
        (await c.SearchRunsAsync([id], "tags.`k` = 'v'")).Should().ContainSingle(r => r.Info.RunId == run.RunId);
        (await c.SearchRunsAsync([id], "tags.`k` = 'w'")).Should().BeEmpty();
    }

    [Fact]
    public async Task Params_are_immutable_and_errors_carry_MLflows_code()
    {
        using var c = Client();
        var run = await c.CreateRunAsync(await c.EnsureExperimentAsync("e"), "me", "t", 0, []);
        await c.LogBatchAsync(run.RunId, [], [new("lr", "0.1")], []);
        await c.LogBatchAsync(run.RunId, [], [new("lr", "0.1")], []);
        var changed = () => c.LogBatchAsync(run.RunId, [], [new("lr", "0.2")], []);
        (await changed.Should().ThrowAsync<MlflowException>()).Which.Should().Match<MlflowException>(e =>
            e.Status == HttpStatusCode.BadRequest && e.ErrorCode == "INVALID_PARAMETER_VALUE" && e.Message.Contains("Changing param values"));
        var missing = () => c.GetRunAsync("nope");
        (await missing.Should().ThrowAsync<MlflowException>()).Which.ErrorCode.Should().Be("RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Batches_stay_within_MLflows_limits()
    {
        var metrics = Enumerable.Range(0, 2500).Select(i => new MlflowMetric($"m{i % 7}", i, i, i)).ToList();
        var parameters = Enumerable.Range(0, 250).Select(i => new MlflowKeyValue($"p{i}", new string('x', 5000))).ToList();
        var tags = Enumerable.Range(0, 130).Select(i => new MlflowKeyValue($"t{i}", "v")).ToList();
        var batches = MlflowRestClient.Batches(metrics, parameters, tags).ToList();
        batches.Should().OnlyContain(b => b.metrics.Count <= 1000 && b.parameters.Count <= 100 && b.tags.Count <= 100
                                          && b.metrics.Count + b.parameters.Count + b.tags.Count <= 1000);
        batches.SelectMany(b => b.metrics).Should().Equal(metrics);
        batches.SelectMany(b => b.parameters).Should().Equal(parameters);
        batches.SelectMany(b => b.tags).Should().Equal(tags);

        // And the stand-in, which measures the real bodies, accepts every one of them.
        using var c = Client();
        var run = await c.CreateRunAsync(await c.EnsureExperimentAsync("e"), "me", "t", 0, []);
        foreach (var (m, p, t) in batches) await c.LogBatchAsync(run.RunId, m, p, t);
        server.Requests.Where(r => r.Path.EndsWith("log-batch")).Should().OnlyContain(r => r.Status == 200 && r.BodyBytes <= 1_000_000);
        server.Runs[run.RunId].Metrics.Should().HaveCount(2500);
        server.Runs[run.RunId].Params.Should().HaveCount(250);
    }

    [Fact]
    public async Task The_stand_in_refuses_oversized_batches_and_bad_keys()
    {
        using var c = Client();
        var run = await c.CreateRunAsync(await c.EnsureExperimentAsync("e"), "me", "t", 0, []);
        var tooMany = () => c.LogBatchAsync(run.RunId, Enumerable.Range(0, 1001).Select(i => new MlflowMetric("m", i, i, i)), [], []);
        (await tooMany.Should().ThrowAsync<MlflowException>()).Which.Message.Should().Contain("at most 1000 metrics");
        var badKey = () => c.LogBatchAsync(run.RunId, [new MlflowMetric("a/../b", 1, 1, 1)], [], []);
        await badKey.Should().ThrowAsync<MlflowException>();
        var longValue = () => c.LogBatchAsync(run.RunId, [], [new("p", new string('x', 6001))], []);
        await longValue.Should().ThrowAsync<MlflowException>();
    }

    [Fact]
    public async Task Retries_503_and_refused_connections_then_succeeds()
    {
        using var c = new MlflowRestClient(new MlflowServer(server.Uri), MlflowRequestPolicy.Sync with { MaxRetries = 8, FirstDelay = TimeSpan.FromMilliseconds(20) });
        server.Unavailable = true;
        var call = c.EnsureExperimentAsync("e");
        // Recover only once a 503 went out, however slow the machine is.
        for (var i = 0; i < 500 && !server.Requests.Any(r => r.Status == 503); i++) await Task.Delay(10);
        server.Unavailable = false;
        (await call).Should().NotBeNullOrEmpty();
        server.Requests.Should().Contain(r => r.Status == 503);

        server.RefuseConnections();
        var refused = c.EnsureExperimentAsync("f");
        await Task.Delay(100);
        server.AcceptConnections();
        (await refused).Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Gives_up_after_the_retries_with_the_servers_error()
    {
        using var c = new MlflowRestClient(new MlflowServer(server.Uri), MlflowRequestPolicy.Sync with { MaxRetries = 2, FirstDelay = TimeSpan.FromMilliseconds(1) });
        server.Unavailable = true;
        var call = () => c.EnsureExperimentAsync("e");
        (await call.Should().ThrowAsync<MlflowException>()).Which.Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        server.Requests.Count(r => r.Status == 503).Should().Be(3, "one try and two retries");
    }

    [Fact]
    public void A_runs_limit_per_try_comes_from_REPLAB_TRACKING_TIMEOUT()
    {
        MlflowRequestPolicy.ForRun(_ => null).Should().Be(MlflowRequestPolicy.Run);
        var slow = MlflowRequestPolicy.ForRun(k => k == MlflowRequestPolicy.RunTimeoutVariable ? "12.5" : null);
        slow.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(12.5));
        slow.RetryUnreachable.Should().BeFalse("a run still leaves an unreachable server to sync");
        MlflowRequestPolicy.ForRun(k => k == MlflowRequestPolicy.RunTimeoutVariable ? "1" : null).ConnectTimeout.Should().Be(TimeSpan.FromSeconds(1));
        foreach (var bad in new[] { "soon", "0", "-1", "1e9" })
        {
            var read = () => MlflowRequestPolicy.ForRun(k => k == MlflowRequestPolicy.RunTimeoutVariable ? bad : null);
            read.Should().Throw<ArgumentException>().WithMessage($"REPLAB_TRACKING_TIMEOUT='{bad}' is not a number of seconds*");
        }
    }

    [Fact]
    public async Task A_try_without_an_answer_ends_at_the_policys_limit_and_only_sync_tries_again()
    {
        // A server that accepts and never answers (a stand-in: it checks our side only).
        using var link = new FaultyLink();
        link.Hang();
        var limit = TimeSpan.FromMilliseconds(300);
        using (var run = new MlflowRestClient(new MlflowServer(link.Uri), MlflowRequestPolicy.Run with { AttemptTimeout = limit }))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var call = () => run.GetExperimentByNameAsync("e");
            await call.Should().ThrowAsync<Polly.Timeout.TimeoutRejectedException>();
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
            link.Accepted.Should().Be(1, "a run does not try an unanswering server again");
        }
        using (var sync = new MlflowRestClient(new MlflowServer(link.Uri), MlflowRequestPolicy.Sync with { AttemptTimeout = limit, MaxRetries = 2, FirstDelay = TimeSpan.FromMilliseconds(10) }))
        {
            var call = () => sync.GetExperimentByNameAsync("e");
            await call.Should().ThrowAsync<Polly.Timeout.TimeoutRejectedException>();
            link.Accepted.Should().Be(4, "sync tries once and retries twice, each on a new connection");
        }
    }

    [Fact]
    public async Task Artifacts_go_through_the_servers_proxy()
    {
        using var c = Client();
        var run = await c.CreateRunAsync(await c.EnsureExperimentAsync("e"), "me", "t", 0, []);
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "weights");
        try
        {
            await c.UploadArtifactAsync(run.ArtifactUri!, "checkpoints/last.safetensors", file);
            server.Artifacts[$"{run.ExperimentId}/{run.RunId}/artifacts/checkpoints/last.safetensors"].Should().Equal("weights"u8.ToArray());
        }
        finally { File.Delete(file); }
        MlflowRestClient.CanUploadArtifacts("s3://bucket/x").Should().BeFalse();
    }
}
