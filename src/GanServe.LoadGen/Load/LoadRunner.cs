using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using GanServe.LoadGen.Load.Raw;
using GanServe.LoadGen.Reporting;

namespace GanServe.LoadGen.Load;

/// <summary>
/// Runs load against a GanServe server: a warm-up phase, then a measured one, closed loop (N clients back to
/// back) or open loop (requests due at fixed times, latency from the due time). Every sent request has exactly
/// one outcome: an answer, a transport error or a cancellation.
/// </summary>
public sealed class LoadRunner
{
    private const string BatchSizeHeader = "X-GanServe-Batch-Size";
    private const string TimeoutHeader = "X-GanServe-Timeout";
    private readonly HttpClient? _givenClient;
    private readonly LoadSettings _settings;
    private HttpClient? _client;
    private RawTransport? _raw;
    private RawConnection[] _rawClients = [];
    private string _model = string.Empty;

    /// <summary>A runner over <paramref name="client"/>, whose BaseAddress is the server (the HttpClient transport, whatever <see cref="LoadSettings.Transport"/> says).</summary>
    public LoadRunner(HttpClient client, LoadSettings settings)
        : this(settings)
    {
        ArgumentNullException.ThrowIfNull(client);
        _givenClient = client;
    }

    /// <summary>
    /// A runner that makes its own connections: the raw transport for http:// (unless
    /// <see cref="LoadSettings.Transport"/> says httpclient), an HttpClient for https://.
    /// </summary>
    public LoadRunner(LoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
    }

    /// <summary>
    /// An HttpClient for <paramref name="settings"/>: the server's URL, the API key, no client-side limit on
    /// connections; <paramref name="handler"/> replaces the socket handler (tests pass an in-memory server's).
    /// </summary>
    public static HttpClient CreateClient(LoadSettings settings, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        handler ??= new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { BaseAddress = settings.Url, Timeout = settings.RequestTimeout };
        if (settings.ApiKey is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }

    /// <summary>The first model of GET /v1/models.</summary>
    public static async Task<string> FirstModelAsync(HttpClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var list = await client.GetFromJsonAsync<ModelList>("v1/models", LoadReport.Json, cancellationToken);
        return list?.Models is [{ Name: { Length: > 0 } name }, ..]
            ? name
            : throw new InvalidOperationException($"GET {client.BaseAddress}v1/models lists no model.");
    }

    /// <summary>Runs the warm-up (not counted), then the measured phase, and summarises it.</summary>
    public async Task<LoadReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var raw = _givenClient is null && _settings.UsesRaw;
        using var ownClient = _givenClient is null && (!raw || _settings.Model is null) ? CreateClient(_settings) : null;
        _client = _givenClient ?? ownClient;
        try
        {
            _model = _settings.Model ?? await FirstModelAsync(_client!, cancellationToken);
            if (raw)
            {
                _raw = new RawTransport(_settings, _model);
                _rawClients = _settings.Clients is { } n ? [.. Enumerable.Range(0, n).Select(_ => _raw.Open())] : [];
            }

            if (_settings.Warmup > TimeSpan.Zero)
            {
                await PhaseAsync(_settings.Warmup, _settings.Seed ^ 0x5eed, cancellationToken);
            }

            await using var watcher = _settings.WatchPid is { } pid ? new MemoryWatcher(pid) : null;
            var (outcomes, notSent, elapsed) = await PhaseAsync(_settings.Duration, _settings.Seed, cancellationToken);
            var memory = watcher is null ? null : await watcher.StopAsync();
            return LoadReport.Summarise(_settings, _model, outcomes, notSent, elapsed, memory);
        }
        finally
        {
            _raw?.Dispose();
            _raw = null;
            _rawClients = [];
            _client = null;
        }
    }

    private Task<(List<RequestOutcome> Outcomes, long NotSent, TimeSpan Elapsed)> PhaseAsync(TimeSpan duration, int seed, CancellationToken cancellationToken) =>
        _settings.Clients is { } clients
            ? ClosedLoopAsync(clients, duration, seed, cancellationToken)
            : OpenLoopAsync(new OpenLoopSchedule(_settings.Rate!.Value, duration), seed, cancellationToken);

    private async Task<(List<RequestOutcome>, long, TimeSpan)> ClosedLoopAsync(int clients, TimeSpan duration, int seed, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(i), cancellationToken)).ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return ([.. results.SelectMany(r => r)], 0, elapsed);

        async Task<List<RequestOutcome>> ClientAsync(int index)
        {
            var random = new Random(unchecked(seed + (index * 1_000_003)));
            var outcomes = new List<RequestOutcome>();
            // Each client sends at least once, even if it starts after the phase's end on a starved thread pool.
            do
            {
                var request = Draw(random);
                outcomes.Add(_raw is null
                    ? await SendAsync(request, Stopwatch.GetTimestamp())
                    : await _rawClients[index].SendAsync(request, Stopwatch.GetTimestamp()));
            }
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested);

            return outcomes;
        }
    }

    private async Task<(List<RequestOutcome>, long, TimeSpan)> OpenLoopAsync(OpenLoopSchedule schedule, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var sends = new List<Task<RequestOutcome>>();
        var outstanding = 0;
        long notSent = 0, next = 0;
        var start = Stopwatch.GetTimestamp();
        while (next < schedule.Total && !cancellationToken.IsCancellationRequested)
        {
            for (var due = schedule.DueBy(Stopwatch.GetElapsedTime(start)); next < due; next++)
            {
                // Drawn for every due request, sent or not, so the same seed gives the same sequence.
                var request = Draw(random);
                if (Volatile.Read(ref outstanding) >= _settings.MaxOutstanding)
                {
                    notSent++;
                    continue;
                }

                Interlocked.Increment(ref outstanding);
                var dueAt = start + (long)(schedule.DueAt(next).TotalSeconds * Stopwatch.Frequency);
                sends.Add(Task.Run(async () =>
                {
                    try
                    {
                        return _raw is { } raw ? await raw.SendPooledAsync(request, dueAt) : await SendAsync(request, dueAt);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref outstanding);
                    }
                }, CancellationToken.None));
            }

            if (next >= schedule.Total)
            {
                break;
            }

            // Timers tick in whole milliseconds (a shorter Task.Delay completes at once, which would spin a core
            // at high rates), so sleep at least one; requests that fell due meanwhile go out together and their
            // latency still counts from their due time.
            var wait = schedule.DueAt(next) - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                var milliseconds = Math.Max(1, Math.Ceiling(wait.TotalMilliseconds));
                await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }

        var outcomes = await Task.WhenAll(sends);
        return ([.. outcomes], notSent, Stopwatch.GetElapsedTime(start));
    }

    private PlannedRequest Draw(Random random)
    {
        var entry = _settings.Mix.Pick(random);
        var seeds = new uint[entry.Images];
        for (var i = 0; i < seeds.Length; i++)
        {
            seeds[i] = (uint)random.NextInt64(0, 1L << 32);
        }

        var cancel = _settings.CancelFraction > 0 && random.NextDouble() < _settings.CancelFraction;
        return new PlannedRequest(entry, seeds, cancel);
    }

    private async Task<RequestOutcome> SendAsync(PlannedRequest planned, long startTimestamp)
    {
        using var request = Build(planned);
        using var cancel = planned.Cancel ? new CancellationTokenSource(_settings.CancelAfter) : null;
        var token = cancel?.Token ?? CancellationToken.None;
        try
        {
            using var response = await _client!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            await response.Content.CopyToAsync(Stream.Null, token);
            var latency = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
            var status = (int)response.StatusCode;
            long batchSum = 0;
            var batchCount = 0;
            if (response.Headers.TryGetValues(BatchSizeHeader, out var values))
            {
                foreach (var part in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                {
                    if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    {
                        batchSum += size;
                        batchCount++;
                    }
                }
            }

            return new RequestOutcome(OutcomeKind.Answered, status, latency, status == 200 ? planned.Entry.Images : 0, batchSum, batchCount, response.Headers.RetryAfter is not null);
        }
        catch (Exception e) when (cancel?.IsCancellationRequested == true && e is HttpRequestException or IOException or OperationCanceledException)
        {
            // However the transport reports it, the client gave up first.
            return RequestOutcome.Cancel(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            // OperationCanceledException here is HttpClient's own timeout: no answer in RequestTimeout.
            return RequestOutcome.Error(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);
        }
    }

    private HttpRequestMessage Build(PlannedRequest planned)
    {
        HttpRequestMessage request;
        if (planned.Entry.Endpoint == RequestMix.Image)
        {
            request = new HttpRequestMessage(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"v1/models/{_model}/images/{planned.Seeds[0]}.{planned.Entry.Format}"));
        }
        else
        {
            var body = new StringBuilder("{\"seeds\":[");
            body.AppendJoin(',', planned.Seeds).Append("],\"format\":\"").Append(planned.Entry.Format).Append("\"}");
            request = new HttpRequestMessage(HttpMethod.Post, $"v1/models/{_model}/generate")
            {
                Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json"),
            };
        }

        if (_settings.ServerTimeoutMs is { } timeout)
        {
            request.Headers.Add(TimeoutHeader, timeout.ToString(CultureInfo.InvariantCulture));
        }

        return request;
    }

    private sealed record ModelList(IReadOnlyList<ModelEntry>? Models);

    private sealed record ModelEntry(string? Name);
}

/// <summary>One request to send: what, which seeds, and whether the client gives up on it.</summary>
internal sealed record PlannedRequest(MixEntry Entry, uint[] Seeds, bool Cancel);
