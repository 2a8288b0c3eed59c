using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Metrics;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.Server.Tests.Api;

public sealed class ServiceEndpointsTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task Healthz_Running_Returns200()
    {
        using var response = await _client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_AllModelsLoaded_ReturnsReadyWithPerModelBody()
    {
        using var response = await _client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ready", body.GetProperty("status").GetString());
        var grey = body.GetProperty("models").GetProperty("grey");
        Assert.True(grey.GetProperty("ready").GetBoolean());
        Assert.Equal("1", grey.GetProperty("version").GetString());
        Assert.Equal("CPU", grey.GetProperty("provider").GetString());
        Assert.Equal(JsonValueKind.Null, grey.GetProperty("reason").ValueKind);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ExposesEveryMetricName()
    {
        // Requests are counted when the response has completed, which can be after the client has read it: wait
        // for this server's two counts before reading /metrics (a race that failed a CI run).
        var meter = server.Factory.Services.GetRequiredService<GanServeMetrics>().Meter;
        var counted200 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counted400 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "ganserve_requests_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "status")
                {
                    (tag.Value?.ToString() == "200" ? counted200 : tag.Value?.ToString() == "400" ? counted400 : null)?.TrySetResult();
                }
            }
        });
        listener.Start();

        await _client.GetByteArrayAsync("/v1/models/grey/images/77.png");
        await _client.GetAsync("/v1/models/grey/images/77.gif");
        await Task.WhenAll(counted200.Task, counted400.Task).WaitAsync(TimeSpan.FromSeconds(30));

        var text = await _client.GetStringAsync("/metrics");

        foreach (var name in new[]
        {
            "ganserve_requests_total", "ganserve_images_total", "ganserve_batches_total", "ganserve_batch_size",
            "ganserve_queue_depth", "ganserve_queue_seconds", "ganserve_inference_seconds", "ganserve_request_seconds",
            "ganserve_rejected_total", "ganserve_provider_info",
        })
        {
            Assert.Contains($"# TYPE {name} ", text, StringComparison.Ordinal);
        }

        Assert.Contains("ganserve_requests_total{model=\"grey\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("ganserve_requests_total{model=\"grey\",status=\"400\"}", text, StringComparison.Ordinal);
        Assert.Contains("ganserve_provider_info{model=\"grey\",provider=\"CPU\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("ganserve_batch_size_bucket{model=\"grey\",le=\"+Inf\"}", text, StringComparison.Ordinal);
        Assert.Contains("ganserve_queue_depth{model=\"rgb\"} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_AfterTraffic_ReportsPerModelFigures()
    {
        await _client.PostAsJsonAsync("/v1/models/rgb/generate", new { seeds = new[] { 1, 2, 3 } });

        var body = await _client.GetFromJsonAsync<JsonElement>("/v1/stats");

        Assert.True(body.GetProperty("uptimeSeconds").GetDouble() >= 0);
        var rgb = body.GetProperty("models").GetProperty("rgb");
        foreach (var field in new[]
        {
            "provider", "requestsTotal", "imagesTotal", "imagesPerSecond10s", "imagesPerSecond60s", "batchesTotal",
            "meanBatchSize", "batchSizeHistogram", "queueDepth", "latencyMs", "rejectedTotal", "timedOutTotal",
        })
        {
            Assert.True(rgb.TryGetProperty(field, out _), field);
        }

        Assert.True(rgb.GetProperty("imagesTotal").GetInt64() >= 3);
        Assert.True(rgb.GetProperty("batchesTotal").GetInt64() >= 1);
        Assert.True(rgb.GetProperty("latencyMs").TryGetProperty("p99", out _));
    }

    [Fact]
    public async Task OpenApi_Document_ListsEndpointsWithTheirResponses()
    {
        var doc = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = doc.GetProperty("paths");
        var expected = new Dictionary<string, (string Method, string[] Statuses)>
        {
            ["/v1/models"] = ("get", ["200"]),
            ["/v1/models/{model}"] = ("get", ["200", "404"]),
            ["/v1/models/{model}/assets/{file}"] = ("get", ["200", "404"]),
            ["/v1/models/{model}/images/{seed}.{ext}"] = ("get", ["200", "304", "400", "404", "429", "503", "504"]),
            ["/v1/models/{model}/versions/{version}/images/{seed}.{ext}"] = ("get", ["200", "304", "400", "404", "429", "503", "504"]),
            ["/v1/models/{model}/generate"] = ("post", ["200", "400", "404", "406", "413", "429", "503", "504"]),
            ["/healthz"] = ("get", ["200"]),
            ["/readyz"] = ("get", ["200", "503"]),
            ["/metrics"] = ("get", ["200"]),
            ["/v1/stats"] = ("get", ["200"]),
        };
        foreach (var (path, (method, statuses)) in expected)
        {
            var responses = paths.GetProperty(path).GetProperty(method).GetProperty("responses");
            Assert.Equal(statuses.Order(), responses.EnumerateObject().Select(r => r.Name).Order());
        }

        var generate = paths.GetProperty("/v1/models/{model}/generate").GetProperty("post");
        Assert.True(generate.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(generate.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("image/png", out _));
        Assert.True(generate.GetProperty("responses").GetProperty("429").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(generate.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
    }

    [Fact]
    public async Task Docs_Page_IsServedWithLocalAssetsOnly()
    {
        var html = await _client.GetStringAsync("/docs/index.html");
        var bundle = await _client.GetAsync("/docs/swagger-ui-bundle.js");
        var init = await _client.GetStringAsync("/docs/index.js");

        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        Assert.True((await bundle.Content.ReadAsByteArrayAsync()).Length > 100_000);
        Assert.Contains("/openapi/v1.json", init, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoute_Returns404Problem()
    {
        using var response = await _client.GetAsync("/v1/nothing-here");

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound, "http-404", "/v1/nothing-here");
    }

    [Fact]
    public async Task Generate_TextPlainBody_Returns415ProblemWithTypeAndDetail()
    {
        using var content = new StringContent("{\"seeds\":[1]}", System.Text.Encoding.UTF8, "text/plain");

        using var response = await _client.PostAsync("/v1/models/grey/generate", content);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "http-415", "application/json");
    }

    [Fact]
    public async Task OpenApi_GenerateSchemas_RequireOnlyWhatIsAlwaysThere()
    {
        var doc = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var schemas = doc.GetProperty("components").GetProperty("schemas");

        static string[] Required(JsonElement schema) =>
            schema.TryGetProperty("required", out var r) ? [.. r.EnumerateArray().Select(e => e.GetString()!).Order()] : [];

        Assert.Empty(Required(schemas.GetProperty("GenerateRequest")));
        Assert.Equal(["contentType", "data"], Required(schemas.GetProperty("GeneratedImage")));
    }
}
