using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GanServe.Client.Tests;

public sealed class GanServeClientTests
{
    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage QueueFull(int retryAfterSeconds)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent("""{"type":"urn:ganserve:problem:queue-full","title":"The model's queue is full.","status":429,"detail":"The queue holds 1024 images."}""", Encoding.UTF8, "application/problem+json"),
        };
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfterSeconds));
        return response;
    }

    private const string Models = """{"models":[{"name":"fashion-dcgan","version":"1","latentDim":100,"width":28,"height":28,"channels":1,"ready":true,"provider":"CPU"}]}""";

    private static (ServiceProvider Services, GanServeClient Client) Build(ScriptedHandler handler, TimeProvider? time = null, Action<GanServeClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddGanServeClient(o =>
            {
                o.BaseAddress = new Uri("http://ganserve.test/");

                // A long backoff, so a retry that comes at the Retry-After mark can only have come from the header.
                o.RetryBaseDelay = TimeSpan.FromSeconds(20);
                o.MaxRetryDelay = TimeSpan.FromSeconds(60);
                configure?.Invoke(o);
            })
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<GanServeClient>());
    }

    [Fact]
    public async Task ListModels_QueueFullWithRetryAfter_RetriesAfterTheGivenDelay()
    {
        var time = new TimerSignallingTimeProvider();
        var handler = new ScriptedHandler((_, i) => i == 0 ? QueueFull(3) : Json(HttpStatusCode.OK, Models));
        var (services, client) = Build(handler, time);
        using (services)
        {
            var call = client.ListModelsAsync();
            await handler.NextRequestAsync();
            await time.WaitForTimerAsync(TimeSpan.FromSeconds(3));

            time.Advance(TimeSpan.FromSeconds(2.9));
            Assert.Equal(1, handler.Count);
            Assert.False(call.IsCompleted);

            time.Advance(TimeSpan.FromSeconds(0.1));
            await handler.NextRequestAsync();
            var models = await call.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(2, handler.Count);
            Assert.Equal("fashion-dcgan", Assert.Single(models).Name);
        }
    }

    [Fact]
    public async Task ListModels_QueueFullBeyondBudget_GivesUpWithTheLastError()
    {
        var time = new TimerSignallingTimeProvider();
        var handler = new ScriptedHandler((_, _) => QueueFull(1));
        var (services, client) = Build(handler, time, o => o.MaxRetryAttempts = 2);
        using (services)
        {
            var call = client.ListModelsAsync();
            for (var attempt = 0; attempt < 2; attempt++)
            {
                await handler.NextRequestAsync();
                await time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
                time.Advance(TimeSpan.FromSeconds(1));
            }

            await handler.NextRequestAsync();

            var error = await Assert.ThrowsAsync<GanServeApiException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.Equal(3, handler.Count);
            Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
            Assert.Equal("urn:ganserve:problem:queue-full", error.ProblemType);
            Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
            Assert.Contains("1024 images", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetModel_NotFound_ThrowsWithoutRetrying()
    {
        var handler = new ScriptedHandler((_, _) => new HttpResponseMessage(HttpStatusCode.NotFound)
        {
            Content = new StringContent("""{"type":"urn:ganserve:problem:not-found","status":404,"detail":"There is no model named 'x'."}""", Encoding.UTF8, "application/problem+json"),
        });
        var (services, client) = Build(handler);
        using (services)
        {
            var error = await Assert.ThrowsAsync<GanServeApiException>(() => client.GetModelAsync("x"));

            Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
            Assert.Equal(1, handler.Count);
            Assert.Contains("no model named 'x'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetReadiness_NotReady_ReturnsReportWithoutRetrying()
    {
        var handler = new ScriptedHandler((_, _) => Json(HttpStatusCode.ServiceUnavailable, """{"status":"not_ready","models":{"m":{"ready":false,"version":"1","provider":null,"reason":"loading"}}}"""));
        var (services, client) = Build(handler);
        using (services)
        {
            var readiness = await client.GetReadinessAsync();

            Assert.False(readiness.IsReady);
            Assert.Equal("loading", readiness.Models["m"].Reason);
            Assert.Equal(1, handler.Count);
            Assert.Equal("/readyz", (await handler.NextRequestAsync()).RequestUri!.AbsolutePath);
        }
    }

    [Fact]
    public async Task Generate_Seeds_PostsTheBodyAndDecodesImages()
    {
        string? posted = null;
        var handler = new ScriptedHandler((request, _) =>
        {
            posted = request.Content!.ReadAsStringAsync().GetAwaiter().GetResult();
            return Json(HttpStatusCode.OK, """{"model":"m","version":"2","provider":"CPU","images":[{"seed":7,"contentType":"image/png","data":"AQID"}]}""");
        });
        var (services, client) = Build(handler);
        using (services)
        {
            var result = await client.GenerateAsync("m", new GenerateRequest { Seeds = [7], Format = ImageFormat.Webp, Truncation = 0.5 });

            Assert.Equal("""{"seeds":[7],"truncation":0.5,"format":"webp"}""", posted);
            var image = Assert.Single(result.Images);
            Assert.Equal(7u, image.Seed);
            Assert.Equal(new byte[] { 1, 2, 3 }, image.Data);
            Assert.Equal("2", result.Version);
        }
    }

    [Fact]
    public async Task GetImage_WithOptions_RequestsTheVersionedUrlWithQuery()
    {
        var handler = new ScriptedHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([9, 8]) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } } });
        var (services, client) = Build(handler);
        using (services)
        {
            var image = await client.GetImageAsync("m", 42, new ImageOptions { Format = ImageFormat.Jpeg, Truncation = 0.7, Scale = 4, Version = "1" });

            var request = await handler.NextRequestAsync();
            Assert.Equal("/v1/models/m/versions/1/images/42.jpg?truncation=0.7&scale=4", request.RequestUri!.PathAndQuery);
            Assert.Equal(new byte[] { 9, 8 }, image.Data);
            Assert.Equal("image/jpeg", image.ContentType);
        }
    }

    [Fact]
    public async Task ListModels_CancelledToken_ThrowsOperationCanceledWithoutSending()
    {
        var handler = new ScriptedHandler((_, _) => Json(HttpStatusCode.OK, Models));
        var (services, client) = Build(handler);
        using (services)
        {
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ListModelsAsync(cancelled.Token));
            Assert.Equal(0, handler.Count);
        }
    }

    [Fact]
    public async Task ListModels_CancelledDuringRetryWait_StopsWaiting()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler((_, _) => QueueFull(30));
        var (services, client) = Build(handler, time);
        using (services)
        {
            using var cancellation = new CancellationTokenSource();
            var call = client.ListModelsAsync(cancellation.Token);
            await handler.NextRequestAsync();

            await cancellation.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, handler.Count);
        }
    }
}
