using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using GanServe.LoadGen.Load;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GanServe.LoadGen.Tests;

/// <summary>
/// The raw transport against a real Kestrel on a loopback port: a small app whose answers depend on the seed
/// (length-framed, chunked, 429 with Retry-After and Connection: close, 503 without Retry-After) and which
/// counts what it sent, so the load generator's counts can be checked against the server's.
/// </summary>
public sealed class RawKestrelTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private readonly ConcurrentDictionary<string, bool> _connections = new();
    private readonly SemaphoreSlim _accepted = new(0);
    private WebApplication? _app;
    private long _batchSum;
    private long _batchCount;
    private long _chunked;
    private long _images;

    private Uri Url { get; set; } = new("http://127.0.0.1/");

    [Fact]
    public async Task RunAsync_ClosedLoopMixedAnswers_CountsMatchWhatTheServerSent()
    {
        var settings = new LoadSettings
        {
            Url = Url,
            Clients = 3,
            Duration = TimeSpan.FromMilliseconds(500),
            Warmup = TimeSpan.Zero,
            Mix = RequestMix.Parse("image:png=4,generate:3=1"),
            ServerTimeoutMs = 900,
            ApiKey = "test-key",
        };

        var report = await new LoadRunner(settings).RunAsync();

        Assert.Equal("m1", report.Model);
        Assert.Equal(0, report.TransportErrors);
        Assert.Equal(0, report.Cancelled);
        Assert.Equal(report.Sent, report.Answered);
        Assert.Equal(_statuses.OrderBy(s => s.Key).Select(s => (s.Key, (long)s.Value)), report.ByStatus.OrderBy(s => s.Key).Select(s => (s.Key, s.Value)));
        Assert.Equal([200, 429, 503], report.ByStatus.Keys.Order());
        Assert.Equal(report.ByStatus[503], report.MissingRetryAfter);
        Assert.Equal(Interlocked.Read(ref _images), report.Images);
        Assert.Equal((double)_batchSum / _batchCount, report.MeanBatchSize!.Value, 9);
        Assert.True(Interlocked.Read(ref _chunked) > 0, "some answers were chunked");
        // One connection per client, one more after each Connection: close, and HttpClient's for GET /v1/models.
        Assert.InRange(_connections.Count, settings.Clients!.Value, settings.Clients.Value + report.ByStatus[429] + 1);
        Assert.True(_connections.Count < report.Sent, "keep-alive connections carried several requests");
    }

    [Fact]
    public async Task RunAsync_OpenLoop_SentPlusNotSentIsTheScheduleAndCountsMatch()
    {
        var settings = new LoadSettings
        {
            Url = Url,
            Model = "m1",
            Rate = 200,
            Duration = TimeSpan.FromMilliseconds(400),
            Warmup = TimeSpan.Zero,
            MaxOutstanding = 4,
        };

        var report = await new LoadRunner(settings).RunAsync();

        Assert.Equal(80, report.Sent + report.NotSent);
        Assert.Equal(report.Sent, report.Answered);
        Assert.Equal(_statuses.Values.Sum(), report.Answered);
        Assert.Equal(_statuses.GetValueOrDefault(200), report.ByStatus.GetValueOrDefault(200));
    }

    [Fact]
    public async Task RunAsync_EveryRequestCancelled_CountsCancelledAndReconnectsEachTime()
    {
        var settings = new LoadSettings
        {
            Url = Url,
            Model = "slow",
            Clients = 2,
            Duration = TimeSpan.FromMilliseconds(300),
            Warmup = TimeSpan.Zero,
            CancelFraction = 1,
            CancelAfter = TimeSpan.FromMilliseconds(40),
        };

        var report = await new LoadRunner(settings).RunAsync();

        Assert.True(report.Sent >= 2);
        Assert.Equal(report.Sent, report.Cancelled);
        Assert.Equal(0, report.Answered);
        Assert.Equal(0, report.LatencyAll.Count);
        // Each cancelled request closed its connection, so each request came on a new one.
        for (var i = 0; i < report.Sent; i++)
        {
            Assert.True(await _accepted.WaitAsync(TimeSpan.FromSeconds(10)), $"connection {i + 1} of {report.Sent} accepted");
        }

        Assert.Equal(0, _accepted.CurrentCount);
    }

    [Fact]
    public async Task RunAsync_NothingListening_CountsTransportErrors()
    {
        var port = Url.Port;
        await DisposeAsync();
        var settings = new LoadSettings { Url = new Uri($"http://127.0.0.1:{port}/"), Model = "m1", Clients = 1, Duration = TimeSpan.FromMilliseconds(100), Warmup = TimeSpan.Zero };

        var report = await new LoadRunner(settings).RunAsync();

        Assert.True(report.Sent > 0);
        Assert.Equal(report.Sent, report.TransportErrors);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
        {
            _accepted.Release();
            return next(connection);
        })));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Use((context, next) =>
        {
            _connections.TryAdd(context.Connection.Id, true);
            return next(context);
        });
        app.MapGet("/v1/models", () => Results.Json(new { models = new[] { new { name = "m1" } } }));
        app.MapGet("/v1/models/{model}/images/{file}", async (string model, string file, HttpContext context) =>
        {
            if (model == "slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
                return;
            }

            var seed = uint.Parse(file[..file.IndexOf('.', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            var ok = context.Request.Headers["X-Api-Key"] == "test-key" || context.Request.Headers["X-Api-Key"].Count == 0;
            await AnswerAsync(context, ok ? (int)(seed % 4) : 3, 1);
        });
        app.MapPost("/v1/models/{model}/generate", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var seeds = body.RootElement.GetProperty("seeds").GetArrayLength();
            await AnswerAsync(context, 0, seeds);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address + "/");
        _app = app;
    }

    public async Task DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _accepted.Dispose();
    }

    private async Task AnswerAsync(HttpContext context, int kind, int images)
    {
        var response = context.Response;
        switch (kind)
        {
            case 0 or 1:
                var sizes = Enumerable.Range(1, images).Select(i => (i % 5) + 1).ToArray();
                response.Headers["X-GanServe-Batch-Size"] = string.Join(',', sizes);
                Interlocked.Add(ref _batchSum, sizes.Sum());
                Interlocked.Add(ref _batchCount, sizes.Length);
                Interlocked.Add(ref _images, images);
                response.ContentType = "image/png";
                var bytes = new byte[300 * images];
                if (kind == 0)
                {
                    response.ContentLength = bytes.Length;
                    await response.Body.WriteAsync(bytes);
                }
                else
                {
                    // No length and two flushes: Kestrel frames it chunked.
                    Interlocked.Increment(ref _chunked);
                    await response.Body.WriteAsync(bytes.AsMemory(0, 100));
                    await response.Body.FlushAsync();
                    await response.Body.WriteAsync(bytes.AsMemory(100));
                }

                _statuses.AddOrUpdate(200, 1, (_, n) => n + 1);
                break;
            case 2:
                response.StatusCode = 429;
                response.Headers.RetryAfter = "1";
                response.Headers.Connection = "close";
                await response.WriteAsync("slow down");
                _statuses.AddOrUpdate(429, 1, (_, n) => n + 1);
                break;
            default:
                response.StatusCode = 503;
                response.ContentLength = 0;
                _statuses.AddOrUpdate(503, 1, (_, n) => n + 1);
                break;
        }
    }
}
