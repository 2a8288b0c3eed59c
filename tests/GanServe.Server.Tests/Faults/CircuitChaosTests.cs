using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Models;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// Polly chaos strategies (fault and latency injection) around one model's forward pass, on a fake clock: the
/// circuit opens after the configured failures, its requests get 503 with Retry-After, readiness names the reason,
/// the other model keeps serving, and the circuit closes by itself once inference works again.
/// </summary>
public sealed class CircuitChaosTests : IAsyncDisposable
{
    private const string Model = "fake";
    private const string Other = "other";
    private const int FailureThreshold = 3;
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(2);
    private readonly TestModelRepository _repository = new();
    private readonly FakeTimeProvider _time = new();
    private readonly FakeGeneratorFactory _fakes = new();
    private readonly ChaosGeneratorFactory _generators;
    private readonly GanServeFactory _factory;
    private readonly HttpClient _client;

    public CircuitChaosTests()
    {
        _repository.AddFake(Model, latentDim: 8, channels: 1, size: 4);
        _repository.AddFake(Other, latentDim: 5, channels: 3, size: 6);

        // Injected latency far beyond the batch timeout: only the timeout can end such a batch.
        _generators = new ChaosGeneratorFactory(_fakes, _time, TimeSpan.FromHours(1), Model);
        _factory = new GanServeFactory(_repository.Root, _generators, _time, new Dictionary<string, string?>
        {
            ["GanServe:Batching:MaxBatchSize"] = "4",
            ["GanServe:Requests:MaxImagesPerRequest"] = "4",
            ["GanServe:Resilience:FailureThreshold"] = FailureThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GanServe:Resilience:BreakDuration"] = "00:00:10",
            ["GanServe:Resilience:BatchTimeout"] = "00:00:02",
        });
        _client = _factory.CreateClient();
    }

    private ChaosGenerator Chaos => _generators[Model];

    private ModelInstance Instance => _factory.Catalog.Models[Model].Default!;

    [Fact]
    public async Task Circuit_InjectedFaults_OpensAfterThresholdOthersServeAndClosesOnceInferenceWorks()
    {
        await ReadyAsync();
        Chaos.InjectFaults(true);

        for (var i = 0; i < FailureThreshold; i++)
        {
            Assert.True(Instance.IsReady, $"The circuit opened after {i} failures; the threshold is {FailureThreshold}.");
            using var failed = await _client.GetAsync($"/v1/models/{Model}/images/{i}.png");
            await HttpAssert.ProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "inference-failed", "forward pass failed");
            Assert.NotNull(failed.Headers.RetryAfter);
        }

        Assert.Equal(FailureThreshold, Chaos.FaultsInjected);
        await AssertCircuitOpenAsync();

        // Open means refused before the batcher: the engine is not called again.
        Assert.Equal(FailureThreshold, Chaos.FaultsInjected);

        Chaos.InjectFaults(false);
        await AssertClosesAfterBreakAsync();
    }

    [Fact]
    public async Task Circuit_InjectedLatencyPastBatchTimeout_CountsAsFailureAndOpens()
    {
        await ReadyAsync();
        Chaos.InjectLatency(true);

        for (var i = 0; i < FailureThreshold; i++)
        {
            Assert.True(Instance.IsReady, $"The circuit opened after {i} timeouts; the threshold is {FailureThreshold}.");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var slow = _client.GetAsync($"/v1/models/{Model}/images/{i}.png", timeout.Token);

            // The batch timeout's timer exists before the injected wait starts; only then move the clock past it.
            await Chaos.LatencyStartedAsync(timeout.Token);
            _time.Advance(BatchTimeout + TimeSpan.FromMilliseconds(1));

            using var failed = await slow;
            await HttpAssert.ProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "inference-failed", "timed out");
        }

        Assert.Equal(FailureThreshold, Chaos.LatenciesInjected);
        await AssertCircuitOpenAsync();

        Chaos.InjectLatency(false);
        await AssertClosesAfterBreakAsync();
        Assert.Equal(FailureThreshold, Chaos.LatenciesInjected);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        _repository.Dispose();
    }

    private async Task ReadyAsync()
    {
        await _factory.WaitUntilReadyAsync(Model);
        await _factory.WaitUntilReadyAsync(Other);
    }

    private async Task AssertCircuitOpenAsync()
    {
        Assert.False(Instance.IsReady);
        Assert.True(Instance.Circuit!.IsOpen);

        using var image = await _client.GetAsync($"/v1/models/{Model}/images/7.png");
        await HttpAssert.ProblemAsync(image, HttpStatusCode.ServiceUnavailable, "circuit-open", "circuit breaker is open");
        var retryAfter = image.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), BreakDuration);

        using var generate = await _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 1, 2 } });
        await HttpAssert.ProblemAsync(generate, HttpStatusCode.ServiceUnavailable, "circuit-open");
        Assert.NotNull(generate.Headers.RetryAfter);

        using var infer = await _client.PostAsJsonAsync($"/v2/models/{Model}/infer", new
        {
            inputs = new[] { new { name = "z", datatype = "FP32", shape = new[] { 1, 8 }, data = new float[8] } },
        });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, infer.StatusCode);
        Assert.Contains("circuit", (await infer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotNull(infer.Headers.RetryAfter);

        using var ready = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("not_ready", body.GetProperty("status").GetString());
        var entry = body.GetProperty("models").GetProperty(Model);
        Assert.False(entry.GetProperty("ready").GetBoolean());
        Assert.Contains("circuit open", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var other = body.GetProperty("models").GetProperty(Other);
        Assert.True(other.GetProperty("ready").GetBoolean());
        Assert.Equal(JsonValueKind.Null, other.GetProperty("reason").ValueKind);

        // The other model in the same repository keeps serving, by both APIs.
        using var otherImage = await _client.GetAsync($"/v1/models/{Other}/images/1.png");
        Assert.Equal(HttpStatusCode.OK, otherImage.StatusCode);
        Assert.Equal("image/png", otherImage.Content.Headers.ContentType?.MediaType);
        using var otherGenerate = await _client.PostAsJsonAsync($"/v1/models/{Other}/generate", new { seeds = new[] { 1, 2, 3 } });
        Assert.Equal(HttpStatusCode.OK, otherGenerate.StatusCode);
        Assert.Equal(3, (await otherGenerate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").GetArrayLength());

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Contains("ganserve_rejected_total{model=\"fake\",reason=\"circuit_open\"} 3", metrics, StringComparison.Ordinal);
    }

    private async Task AssertClosesAfterBreakAsync()
    {
        // The probe's timer was made when the circuit opened (asserted above); moving past the break fires it.
        _time.Advance(BreakDuration + TimeSpan.FromSeconds(1));
        await _factory.WaitUntilReadyAsync(Model);

        Assert.False(Instance.Circuit!.IsOpen);
        using var ready = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        using var image = await _client.GetAsync($"/v1/models/{Model}/images/42.png");
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        var fake = (FakeGenerator)Chaos.Inner;
        var expected = new byte[16];
        Core.Imaging.PixelConverter.ToInterleaved(fake.Expected(Core.Latents.SeedLatents.ForSeed(42, 8)), 1, 16, expected);
        Assert.Equal(expected, Images.Grey(await image.Content.ReadAsByteArrayAsync()).Pixels);
        using var generate = await _client.PostAsJsonAsync($"/v1/models/{Model}/generate", new { seeds = new[] { 1, 2 } });
        Assert.Equal(HttpStatusCode.OK, generate.StatusCode);
    }
}
