using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// The short overload run of the suite: many concurrent clients against a slow fake engine, a small queue and short
/// deadlines, with image GETs and generate POSTs of different sizes (so batches mix and split) and clients that give
/// up early. Only 200, 429, 503 and 504 may come back, each request has exactly one outcome, the server counts no
/// answer twice, and its own counters agree with what the clients saw.
/// </summary>
public sealed class OverloadTests : IAsyncDisposable
{
    private const string Model = "fake";
    private const int Requests = 400;
    private const int Clients = 32;
    private readonly TestModelRepository _repository = new();
    private readonly FakeGeneratorFactory _generators = new() { Delay = TimeSpan.FromMilliseconds(15) };
    private readonly GanServeFactory _factory;
    private readonly HttpClient _client;

    private readonly ITestOutputHelper _output;
    private readonly CapturedLogs _logs = new();

    public OverloadTests(ITestOutputHelper output)
    {
        _output = output;
        _repository.AddFake(Model, latentDim: 8, channels: 1, size: 4);
        _factory = new GanServeFactory(_repository.Root, _generators, settings: new Dictionary<string, string?>
        {
            ["GanServe:Batching:MaxBatchSize"] = "4",
            ["GanServe:Batching:QueueCapacity"] = "8",
            ["GanServe:Requests:MaxImagesPerRequest"] = "4",

            // A loaded machine may stretch a 15 ms batch a lot; that must not open the circuit.
            ["GanServe:Resilience:BatchTimeout"] = "00:01:00",
        }, logs: _logs);
        _client = _factory.CreateClient();
    }

    [Fact]
    public async Task Overload_SmallQueueShortDeadlinesAndCancellingClients_OnlyAllowedStatusesEachAnsweredOnce()
    {
        await _factory.WaitUntilReadyAsync(Model);
        using var serverCounts = new RequestCounter(_factory.Services.GetRequiredService<IMeterFactory>(), Model);
        var outcomes = new ConcurrentDictionary<int, Outcome>();
        var next = -1;

        var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                Assert.True(outcomes.TryAdd(i, await SendAsync(i)), $"Request {i} got two outcomes.");
            }
        }));
        await Task.WhenAll(clients);

        // Every request has exactly one outcome on the client's side.
        Assert.Equal(Requests, outcomes.Count);
        var byStatus = outcomes.Values.Where(o => o.Status is not null).GroupBy(o => o.Status!.Value).ToDictionary(g => g.Key, g => g.Count());
        var cancelled = outcomes.Values.Count(o => o.Status is null);
        Assert.All(byStatus.Keys, s => Assert.Contains(s, new[] { 200, 429, 503, 504 }));
        Assert.All(outcomes.Values, o => Assert.True(o.Problem is null, o.Problem));
        Assert.True(byStatus.GetValueOrDefault(200) > 0, Summary(byStatus, cancelled));
        Assert.True(byStatus.GetValueOrDefault(429) > 0, Summary(byStatus, cancelled));
        Assert.True(byStatus.GetValueOrDefault(504) > 0, Summary(byStatus, cancelled));

        // And at most one on the server's: every answered request counted once under the status its client saw, and the
        // rest under some status only for clients that gave up (one that gave up before the request was dispatched
        // never reached the server, so it has no count at all).
        var server = await serverCounts.CountedAsync(Requests - cancelled, TimeSpan.FromSeconds(30), Summary(byStatus, cancelled));
        foreach (var (status, count) in byStatus)
        {
            Assert.True(server.GetValueOrDefault(status) >= count, $"The server counted {server.GetValueOrDefault(status)} answers of {status}, clients saw {count}.");
        }

        var extra = server.Sum(p => p.Value - byStatus.GetValueOrDefault(p.Key));
        Assert.InRange(extra, 0, cancelled);

        // The stats and metrics agree with the answers given (counted at admission or drop, before the answer left).
        var stats = (await _client.GetFromJsonAsync<JsonElement>("/v1/stats")).GetProperty("models").GetProperty(Model);
        var metrics = await _client.GetStringAsync("/metrics");
        var queueFull = Rejected(metrics, "queue_full");
        var deadline = Rejected(metrics, "deadline");
        var dropped = Rejected(metrics, "cancelled");
        var timedOut = stats.GetProperty("timedOutTotal").GetInt64();
        Assert.Equal(deadline, timedOut);
        Assert.InRange(timedOut, byStatus.GetValueOrDefault(504), byStatus.GetValueOrDefault(504) + cancelled);
        Assert.InRange(queueFull, byStatus.GetValueOrDefault(429), byStatus.GetValueOrDefault(429) + cancelled);
        Assert.InRange(dropped, 0, cancelled);
        Assert.Equal(queueFull + deadline + dropped, stats.GetProperty("rejectedTotal").GetInt64());

        // Nothing is left behind in the queue (a request dispatched after its client gave up drops out at once).
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _factory.Catalog.Models[Model].Default!.Batcher!.WaitForQueueDepthAsync(0, drained.Token);
        }

        _output.WriteLine($"clients saw {Summary(byStatus, cancelled)}; the server counted "
            + string.Join(", ", server.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")) + $"; rejected queue_full {queueFull}, deadline {deadline}, cancelled {dropped}");

        // Overload is not a fault: nothing was logged as an error (an unhandled exception would be).
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);

        // Still ready and still right.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/readyz")).StatusCode);
        using var image = await _client.GetAsync($"/v1/models/{Model}/images/42.png");
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        var expected = new byte[16];
        Core.Imaging.PixelConverter.ToInterleaved(_generators[Model].Expected(Core.Latents.SeedLatents.ForSeed(42, 8)), 1, 16, expected);
        Assert.Equal(expected, Images.Grey(await image.Content.ReadAsByteArrayAsync()).Pixels);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        _repository.Dispose();
    }

    private static string Summary(Dictionary<int, int> byStatus, int cancelled) =>
        string.Join(", ", byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")) + $", cancelled: {cancelled}";

    private static long Rejected(string metrics, string reason)
    {
        var prefix = $"ganserve_rejected_total{{model=\"{Model}\",reason=\"{reason}\"}} ";
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Request <paramref name="i"/> of the run; its kind, size and deadline follow from its index.</summary>
    private async Task<Outcome> SendAsync(int i)
    {
        var seeds = Enumerable.Range(i * 4, (i % 4) + 1).ToArray();
        var (request, images) = (i % 5) switch
        {
            0 => (Get(i, timeoutMs: 40), 1),
            1 => (Post(new { seeds }, timeoutMs: 1), seeds.Length),
            2 => (Get(i, timeoutMs: null), 1),
            3 => (Post(new { seeds = new[] { i, i + 1, i + 2, i + 3 }, grid = true, scale = 2 }, timeoutMs: 200), 1),
            _ => i % 2 == 0 ? (Get(i, timeoutMs: null), 1) : (Post(new { seeds }, timeoutMs: null), seeds.Length),
        };
        using var sent = request;

        // Every fifth client gives up after a few milliseconds, before or after its batch.
        using var giveUp = new CancellationTokenSource();
        if (i % 5 == 4)
        {
            giveUp.CancelAfter(TimeSpan.FromMilliseconds(1 + (i % 20)));
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, giveUp.Token);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            return new Outcome(null, null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            return new Outcome(status, await CheckAsync(response, status, images));
        }
    }

    /// <summary>What is wrong with an answer (null when it is what its status promises).</summary>
    private static async Task<string?> CheckAsync(HttpResponseMessage response, int status, int images)
    {
        if (status == 200)
        {
            if (response.RequestMessage!.Method == HttpMethod.Get)
            {
                return Images.Grey(await response.Content.ReadAsByteArrayAsync()).Pixels.Length == 16 ? null : "a GET image of the wrong size";
            }

            var count = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").GetArrayLength();
            return count == images ? null : $"{count} images where {images} were asked for";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} without problem details";
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var type = problem.GetProperty("type").GetString();
        if (status is 429 or 503 && response.Headers.RetryAfter?.Delta is not { TotalSeconds: >= 1 })
        {
            return $"{status} ({type}) without Retry-After";
        }

        return (status, type) switch
        {
            (429, "urn:ganserve:problem:queue-full") => null,
            (504, "urn:ganserve:problem:deadline-exceeded") => null,
            (503, _) => null,
            _ => $"{status} with problem type {type}",
        };
    }

    private static HttpRequestMessage Get(int seed, int? timeoutMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/{seed}.png");
        if (timeoutMs is { } ms)
        {
            request.Headers.Add("X-GanServe-Timeout", ms.ToString(CultureInfo.InvariantCulture));
        }

        return request;
    }

    private static HttpRequestMessage Post(object body, int? timeoutMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Model}/generate") { Content = JsonContent.Create(body) };
        if (timeoutMs is { } ms)
        {
            request.Headers.Add("X-GanServe-Timeout", ms.ToString(CultureInfo.InvariantCulture));
        }

        return request;
    }

    /// <summary>A client's view of one request: its status, or null when the client gave up first; and what was wrong with it.</summary>
    private sealed record Outcome(int? Status, string? Problem);

    /// <summary>Counts <c>ganserve_requests_total</c> by status for one model of one server, as the server records it.</summary>
    private sealed class RequestCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<int, int> _counts = new();
        private readonly Lock _lock = new();
        private int _total;
        private (int Count, TaskCompletionSource Reached)? _waiter;

        public RequestCounter(IMeterFactory scope, string model)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == "ganserve_requests_total")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? name = null, status = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "model")
                    {
                        name = tag.Value?.ToString();
                    }
                    else if (tag.Key == "status")
                    {
                        status = tag.Value?.ToString();
                    }
                }

                if (name != model || status is null)
                {
                    return;
                }

                _counts.AddOrUpdate(int.Parse(status, CultureInfo.InvariantCulture), (int)value, (_, c) => c + (int)value);
                lock (_lock)
                {
                    _total += (int)value;
                    if (_waiter is { } w && _total >= w.Count)
                    {
                        w.Reached.TrySetResult();
                    }
                }
            });
            _listener.Start();
        }

        /// <summary>The counts once the server has counted at least <paramref name="count"/> requests (bounded wait).</summary>
        public async Task<Dictionary<int, int>> CountedAsync(int count, TimeSpan within, string clients)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waiter = (count, reached);
                if (_total >= count)
                {
                    reached.TrySetResult();
                }
            }

            try
            {
                await reached.Task.WaitAsync(within);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"The server counted {Volatile.Read(ref _total)} of at least {count} requests (clients saw {clients}): "
                    + string.Join(", ", _counts.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
            }

            return new Dictionary<int, int>(_counts);
        }

        public void Dispose() => _listener.Dispose();
    }
}
