using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Models;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace GanServe.Server.Tests.Api;

/// <summary>Queueing, deadlines, readiness, the circuit breaker and draining, over fake generators and a fake clock.</summary>
public sealed class ServingBehaviourTests : IAsyncDisposable
{
    private const string Model = "fake";
    private readonly TestModelRepository _repository = new();
    private readonly FakeTimeProvider _time = new();
    private readonly FakeGeneratorFactory _generators;
    private readonly GanServeFactory _factory;
    private readonly HttpClient _client;

    public ServingBehaviourTests()
        : this(holdWarmUp: false)
    {
    }

    private ServingBehaviourTests(bool holdWarmUp, Dictionary<string, string?>? settings = null)
    {
        _repository.AddFake(Model, latentDim: 8, channels: 1, size: 4);
        _repository.AddFake("other", latentDim: 5, channels: 3, size: 6);
        _generators = new FakeGeneratorFactory { HoldWarmUp = holdWarmUp };
        var all = new Dictionary<string, string?>
        {
            ["GanServe:Batching:MaxBatchSize"] = "4",
            ["GanServe:Batching:QueueCapacity"] = "6",
            ["GanServe:Requests:MaxImagesPerRequest"] = "4",
            ["GanServe:Resilience:FailureThreshold"] = "2",
            ["GanServe:Resilience:BreakDuration"] = "00:00:10",

            // Longer than any clock advance below, so moving the fake clock never times out a held batch.
            ["GanServe:Resilience:BatchTimeout"] = "00:10:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        _factory = new GanServeFactory(_repository.Root, _generators, _time, all);
        _client = _factory.CreateClient();
    }

    private FakeGenerator Generator => _generators[Model];

    [Fact]
    public async Task Readyz_BeforeWarmUpFinishes_IsNotReadyAndRequestsGet503()
    {
        await using var held = new ServingBehaviourTests(holdWarmUp: true);
        await (await held._generators.CreatedAsync(Model).WaitAsync(TimeSpan.FromSeconds(30))).NextCallAsync();

        using var ready = await held._client.GetAsync("/readyz");
        using var image = await held._client.GetAsync($"/v1/models/{Model}/images/1.png");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("not_ready", body.GetProperty("status").GetString());
        Assert.Equal("warming up", body.GetProperty("models").GetProperty(Model).GetProperty("reason").GetString());
        await HttpAssert.ProblemAsync(image, HttpStatusCode.ServiceUnavailable, "not-ready", "warming up");
        Assert.NotNull(image.Headers.RetryAfter);

        held._generators[Model].Release();
        (await held._generators.CreatedAsync("other").WaitAsync(TimeSpan.FromSeconds(30))).Release();
        await held._factory.WaitUntilReadyAsync(Model);
        await held._factory.WaitUntilReadyAsync("other");
        using var after = await held._client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task GetImage_QueueFull_Returns429WithRetryAfter()
    {
        await ReadyAsync();
        Generator.Hold();
        var running = _client.GetAsync($"/v1/models/{Model}/images/1.png");
        await Generator.NextCallAsync();
        var queued = _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 2, 3, 4, 5 } });
        var queued2 = _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 6, 7 } });
        await WaitForQueueDepthAsync(6);

        using var rejected = await _client.GetAsync($"/v1/models/{Model}/images/8.png");

        await HttpAssert.ProblemAsync(rejected, HttpStatusCode.TooManyRequests, "queue-full", "queue holds 6 of 6");
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Generator.Release();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued2).StatusCode);
        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Contains("ganserve_rejected_total{model=\"fake\",reason=\"queue_full\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetImage_DeadlinePassesInQueue_Returns504AndModelNeverRunsIt()
    {
        await ReadyAsync();
        Generator.Hold();
        var running = _client.GetAsync($"/v1/models/{Model}/images/1.png");
        await Generator.NextCallAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/777.png");
        request.Headers.Add("X-GanServe-Timeout", "250");
        var late = _client.SendAsync(request);
        await WaitForQueueDepthAsync(1);

        _time.Advance(TimeSpan.FromMilliseconds(300));

        using var response = await late;
        await HttpAssert.ProblemAsync(response, HttpStatusCode.GatewayTimeout, "deadline-exceeded", "deadline");
        Generator.Release();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/v1/models/{Model}/images/2.png")).StatusCode);
        var late777 = Core.Latents.SeedLatents.ForSeed(777, 8);
        Assert.DoesNotContain(Generator.RowsRun, row => row.SequenceEqual(late777));
        Assert.Equal([1, 1], Generator.BatchSizes);
        var stats = await _client.GetFromJsonAsync<JsonElement>("/v1/stats");
        Assert.Equal(1, stats.GetProperty("models").GetProperty(Model).GetProperty("timedOutTotal").GetInt64());
    }

    [Fact]
    public async Task GetImage_TimeoutHeaderAboveMax_IsCappedByMaxTimeout()
    {
        await ReadyAsync();
        Generator.Hold();
        var running = _client.GetAsync($"/v1/models/{Model}/images/1.png");
        await Generator.NextCallAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/9.png");
        request.Headers.Add("X-GanServe-Timeout", "999999999");
        var late = _client.SendAsync(request);
        await WaitForQueueDepthAsync(1);

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.GatewayTimeout, (await late).StatusCode);
        Generator.Release();
        await running;
    }

    [Fact]
    public async Task Generate_ClientCancelsWhileQueued_IsNotComputed()
    {
        await ReadyAsync();
        Generator.Hold();
        var running = _client.GetAsync($"/v1/models/{Model}/images/1.png");
        await Generator.NextCallAsync();
        using var cancel = new CancellationTokenSource();
        var abandoned = _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 555, 556 } }, cancel.Token);
        await WaitForQueueDepthAsync(2);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await WaitForQueueDepthAsync(0);
        Generator.Release();

        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/v1/models/{Model}/images/2.png")).StatusCode);
        var dropped = Core.Latents.SeedLatents.ForSeed(555, 8);
        Assert.DoesNotContain(Generator.RowsRun, row => row.SequenceEqual(dropped));
        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Contains("ganserve_rejected_total{model=\"fake\",reason=\"cancelled\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Circuit_RepeatedFailures_OpensThenClosesAfterProbeWithoutTraffic()
    {
        await ReadyAsync();
        Generator.FailCalls(true);

        for (var i = 0; i < 2; i++)
        {
            using var failed = await _client.GetAsync($"/v1/models/{Model}/images/{i}.png");
            await HttpAssert.ProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "inference-failed");
        }

        var instance = _factory.Catalog.Models[Model].Default!;
        Assert.False(instance.IsReady);
        using var open = await _client.GetAsync($"/v1/models/{Model}/images/5.png");
        await HttpAssert.ProblemAsync(open, HttpStatusCode.ServiceUnavailable, "circuit-open");
        Assert.True(open.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        using var notReady = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var body = await notReady.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("circuit open", body.GetProperty("models").GetProperty(Model).GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("models").GetProperty("other").GetProperty("ready").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/v1/models/other/images/1.png")).StatusCode);

        Generator.FailCalls(false);
        var callsBefore = Generator.BatchSizes.Count;
        _time.Advance(TimeSpan.FromSeconds(11));
        await _factory.WaitUntilReadyAsync(Model);

        Assert.True(Generator.BatchSizes.Count > callsBefore);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/v1/models/{Model}/images/5.png")).StatusCode);
    }

    [Fact]
    public async Task StopAsync_WithQueuedWork_DrainsItAndRefusesNewRequests()
    {
        await ReadyAsync();
        Generator.Hold();
        var running = _client.GetAsync($"/v1/models/{Model}/images/1.png");
        await Generator.NextCallAsync();
        var queued = _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 2, 3, 4 } });
        await WaitForQueueDepthAsync(3);

        _factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        using var ready = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("draining", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using var refused = await _client.GetAsync($"/v1/models/{Model}/images/9.png");
        await HttpAssert.ProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "draining");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.True(refused.Headers.ConnectionClose);

        var stopping = _factory.AppHost.StopAsync();
        Generator.Release();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        await stopping;
        Assert.Equal([1, 3], Generator.BatchSizes);
    }

    [Fact]
    public async Task Generate_ApiKeysConfigured_RequiresAKey()
    {
        await using var secured = new ServingBehaviourTests(false, new() { ["GanServe:Security:ApiKeys:0"] = "s3cret" });
        await secured._factory.WaitUntilReadyAsync(Model);

        using var none = await secured._client.GetAsync($"/v1/models/{Model}/images/1.png");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/1.png");
        wrong.Headers.Add("X-Api-Key", "nope");
        using var wrongResponse = await secured._client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/1.png");
        right.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        using var rightResponse = await secured._client.SendAsync(right);
        using var health = await secured._client.GetAsync("/readyz");

        await HttpAssert.ProblemAsync(none, HttpStatusCode.Unauthorized, "unauthorized");
        await HttpAssert.ProblemAsync(wrongResponse, HttpStatusCode.Unauthorized, "unauthorized", "not valid");
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var v2None = await secured._client.GetAsync($"/v2/models/{Model}");
        using var v2Health = await secured._client.GetAsync("/v2/health/ready");
        Assert.Equal(HttpStatusCode.Unauthorized, v2None.StatusCode);
        Assert.Contains("API key", (await v2None.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, v2Health.StatusCode);

        // Routing ignores case, so the key check must too.
        using var upperV1 = await secured._client.GetAsync($"/V1/models/{Model}/images/1.png");
        using var upperV2 = await secured._client.GetAsync($"/V2/models/{Model}");
        using var upperHealth = await secured._client.GetAsync("/v2/HEALTH/ready");
        Assert.Equal(HttpStatusCode.Unauthorized, upperV1.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, upperV2.StatusCode);
        Assert.Equal(HttpStatusCode.OK, upperHealth.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in new[] { Model, "other" })
        {
            try
            {
                _generators[name].Release();
            }
            catch (KeyNotFoundException)
            {
            }
        }

        _client.Dispose();
        await _factory.DisposeAsync();
        _repository.Dispose();
    }

    private async Task ReadyAsync()
    {
        await _factory.WaitUntilReadyAsync(Model);
        await _factory.WaitUntilReadyAsync("other");
        Generator.ClearLog();
    }

    /// <summary>Waits (without sleeping or polling) until the model's queue holds <paramref name="images"/> images.</summary>
    private async Task WaitForQueueDepthAsync(long images)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _factory.Catalog.Models[Model].Default!.Batcher!.WaitForQueueDepthAsync(images, timeout.Token);
    }
}
