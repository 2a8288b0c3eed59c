using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Configuration;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.Server.Tests.Hosting;

/// <summary>API keys (secrets and hashes), open or keyed health and metrics, and the per-client rate limiter, in memory.</summary>
public sealed class SecurityTests : IDisposable
{
    private const string Model = "fake";
    private const string KeyA = "key-a-0123456789";
    private const string KeyB = "key-b-9876543210";
    private readonly TestModelRepository _repository = new();

    public SecurityTests() => _repository.AddFake(Model);

    // printf %s key-b-9876543210 | sha256sum
    private static string KeyBHash => Convert.ToHexString(ApiKeyHash.Of(KeyB)).ToLowerInvariant();

    [Fact]
    public async Task ApiKeyHashes_KeyWhoseHashIsConfigured_IsAcceptedInEitherHeader()
    {
        await using var factory = await StartAsync(new() { ["GanServe:Security:ApiKeyHashes:0"] = KeyBHash.ToUpperInvariant() });
        var client = factory.CreateClient();

        using var viaHeader = await client.SendAsync(Get($"/v1/models/{Model}", apiKey: KeyB));
        using var viaBearer = await client.SendAsync(Get($"/v1/models/{Model}", bearer: KeyB));
        using var hashAsKey = await client.SendAsync(Get($"/v1/models/{Model}", apiKey: KeyBHash));

        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
        Assert.Equal(Model, (await viaHeader.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, viaBearer.StatusCode);

        // The hash itself is not a key: knowing the configuration does not grant access.
        await HttpAssert.ProblemAsync(hashAsKey, HttpStatusCode.Unauthorized, "unauthorized", "not valid");
        Assert.Equal("Bearer", hashAsKey.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task ApiKeys_SecretsAndHashesTogether_EachKeyIsAccepted()
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:ApiKeys:0"] = KeyA,
            ["GanServe:Security:ApiKeyHashes:0"] = KeyBHash,
        });
        var client = factory.CreateClient();

        using var a = await client.SendAsync(Get($"/v2/models/{Model}", apiKey: KeyA));
        using var b = await client.SendAsync(Get($"/v2/models/{Model}", bearer: KeyB));
        using var none = await client.GetAsync($"/v2/models/{Model}");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("X-Api-Key", (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/metrics")]
    [InlineData("/v1/stats")]
    public async Task HealthAndMetrics_KeysConfiguredByDefault_StayOpen(string path)
    {
        await using var factory = await StartAsync(new() { ["GanServe:Security:ApiKeys:0"] = KeyA });
        var client = factory.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/healthz", false)]
    [InlineData("/readyz", false)]
    [InlineData("/v2/health/ready", true)]
    [InlineData("/metrics", false)]
    [InlineData("/v1/stats", false)]
    public async Task HealthAndMetrics_RequireKeySet_Return401WithoutKeyAnd200WithIt(string path, bool openInference)
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:ApiKeys:0"] = KeyA,
            ["GanServe:Security:HealthRequiresKey"] = "true",
            ["GanServe:Security:MetricsRequireKey"] = "true",
        });
        var client = factory.CreateClient();

        using var without = await client.GetAsync(path);
        using var with = await client.SendAsync(Get(path, apiKey: KeyA));

        if (openInference)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
            Assert.Contains("API key", (await without.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        else
        {
            await HttpAssert.ProblemAsync(without, HttpStatusCode.Unauthorized, "unauthorized", "X-Api-Key");
        }

        Assert.Equal("Bearer", without.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    [Fact]
    public async Task OpenApiAndDemoPage_KeysConfigured_StayOpen()
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:ApiKeys:0"] = KeyA,
            ["GanServe:Security:HealthRequiresKey"] = "true",
            ["GanServe:Security:MetricsRequireKey"] = "true",
        });
        var client = factory.CreateClient();

        using var openApi = await client.GetAsync("/openapi/v1.json");
        using var page = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        Assert.Contains("/v1/models", await openApi.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task RateLimit_BurstSpent_Returns429ProblemWithRetryAfterAndCountsIt()
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:RateLimit:PermitsPerSecond"] = "1",
            ["GanServe:Security:RateLimit:Burst"] = "3",
        });
        var client = factory.CreateClient();

        var (allowed, rejected) = await SpendAsync(client, $"/v1/models/{Model}");
        using var health = await client.GetAsync("/readyz");
        var metrics = await client.GetStringAsync("/metrics");
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats");

        Assert.True(allowed >= 3, $"Only {allowed} requests passed before the first 429; the burst is 3.");
        await HttpAssert.ProblemAsync(rejected, HttpStatusCode.TooManyRequests, "rate-limited", "GanServe:Security:RateLimit");
        var retryAfter = Assert.Single(rejected.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 2);
        Assert.True(rejected.Headers.Contains("X-Request-Id"));

        // Probes and metrics are never limited, even with the client's bucket empty.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains($"ganserve_rejected_total{{model=\"{Model}\",reason=\"rate_limited\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Equal(1, stats.GetProperty("models").GetProperty(Model).GetProperty("rejectedTotal").GetInt64());
        rejected.Dispose();
    }

    [Fact]
    public async Task RateLimit_OnV2_Returns429WithErrorBody()
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:RateLimit:PermitsPerSecond"] = "1",
            ["GanServe:Security:RateLimit:Burst"] = "1",
        });
        var client = factory.CreateClient();

        var (_, rejected) = await SpendAsync(client, $"/v2/models/{Model}");
        using var health = await client.GetAsync("/v2/health/ready");

        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal("application/json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Contains("rate limit", (await rejected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotNull(rejected.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        rejected.Dispose();
    }

    [Fact]
    public async Task RateLimit_WithKeys_EachKeyHasItsOwnBucketAndBadKeysShareTheAddresss()
    {
        await using var factory = await StartAsync(new()
        {
            ["GanServe:Security:ApiKeys:0"] = KeyA,
            ["GanServe:Security:ApiKeyHashes:0"] = KeyBHash,
            ["GanServe:Security:RateLimit:PermitsPerSecond"] = "1",
            ["GanServe:Security:RateLimit:Burst"] = "2",
        });
        var client = factory.CreateClient();

        var (_, spentA) = await SpendAsync(client, $"/v1/models/{Model}", apiKey: KeyA);
        using var b = await client.SendAsync(Get($"/v1/models/{Model}", apiKey: KeyB));

        // Wrong keys count against the address's bucket, so guessing keys is limited too.
        var (wrongAllowed, spentWrong) = await SpendAsync(client, $"/v1/models/{Model}", apiKey: "guess");

        Assert.Equal(HttpStatusCode.TooManyRequests, spentA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.True(wrongAllowed >= 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, spentWrong.StatusCode);
        spentA.Dispose();
        spentWrong.Dispose();
    }

    [Fact]
    public async Task RateLimit_Off_NoLimiterRunsOnAnyRequest()
    {
        await using var limited = await StartAsync(new()
        {
            ["GanServe:Security:RateLimit:PermitsPerSecond"] = "1000",
        });
        await using var open = await StartAsync([]);

        var limitedRuns = await LimiterMeasurementsAsync(limited);
        var openRuns = await LimiterMeasurementsAsync(open);

        // The framework's rate-limiting meter records every request its middleware sees.
        Assert.True(limitedRuns > 0, "The limiter's meter recorded nothing with the limiter on.");
        Assert.Equal(0, openRuns);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::9", "2001:db8:1:2::/64")]
    public void ClientAddress_Address_IsThePartitionOfItsSubscriber(string address, string partition) =>
        Assert.Equal(partition, Server.Hosting.ClientRateLimiting.ClientAddress(IPAddress.Parse(address)));

    [Fact]
    public void BucketOptions_BurstZero_IsOneSecondOfPermits()
    {
        var bucket = Server.Hosting.ClientRateLimiting.BucketOptions(new RateLimitOptions { PermitsPerSecond = 20 });

        Assert.Equal(20, bucket.TokenLimit);
        Assert.Equal(20, bucket.TokensPerPeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.ReplenishmentPeriod);
        Assert.Equal(0, bucket.QueueLimit);
    }

    public void Dispose() => _repository.Dispose();

    private static HttpRequestMessage Get(string path, string? apiKey = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    /// <summary>
    /// Sends requests until one is rejected: the bucket refills in real time (one token a second here), so the
    /// count allowed may exceed the burst by a token on a slow machine, but the loop ends within a few requests.
    /// </summary>
    private static async Task<(int Allowed, HttpResponseMessage Rejected)> SpendAsync(HttpClient client, string path, string? apiKey = null)
    {
        for (var allowed = 0; allowed < 50; allowed++)
        {
            var response = await client.SendAsync(Get(path, apiKey));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (allowed, response);
            }

            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized, $"{path} answered {(int)response.StatusCode}.");
            response.Dispose();
        }

        Assert.Fail($"{path} was never rate limited.");
        return default;
    }

    private static async Task<int> LimiterMeasurementsAsync(GanServeFactory factory)
    {
        var client = factory.CreateClient();
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        var count = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name.Contains("RateLimiting", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref count));
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref count));
        listener.Start();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync($"/v1/models/{Model}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        return Volatile.Read(ref count);
    }

    private async Task<GanServeFactory> StartAsync(Dictionary<string, string?> settings)
    {
        var factory = new GanServeFactory(_repository.Root, new FakeGeneratorFactory(), settings: settings);
        await factory.WaitUntilReadyAsync(Model);
        return factory;
    }
}
