namespace GanServe.LoadGen.Load;

/// <summary>How the load generator speaks HTTP.</summary>
public enum LoadTransport
{
    /// <summary>Raw for http:// URLs, HttpClient for https://.</summary>
    Auto,

    /// <summary>The lean HTTP/1.1 client: keep-alive sockets, pre-encoded requests, a reused receive buffer (http:// only).</summary>
    Raw,

    /// <summary>.NET's HttpClient (needed for https://; costs several times the raw transport's CPU per request).</summary>
    HttpClient,
}

/// <summary>What one load run does. Exactly one of <see cref="Clients"/> (closed loop) and <see cref="Rate"/> (open loop) is set.</summary>
public sealed record LoadSettings
{
    /// <summary>The server, e.g. http://localhost:8080.</summary>
    public Uri Url { get; init; } = new("http://localhost:8080");

    /// <summary>The model; null: the first of GET /v1/models.</summary>
    public string? Model { get; init; }

    /// <summary>Closed loop: this many clients, each sending its next request when the last is answered.</summary>
    public int? Clients { get; init; }

    /// <summary>Open loop: requests per second, sent at fixed times whatever the answers do.</summary>
    public double? Rate { get; init; }

    /// <summary>How long the measured phase sends requests.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A phase before it, same load, not counted.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The weighted mix of requests.</summary>
    public RequestMix Mix { get; init; } = RequestMix.Parse("image:png");

    /// <summary>Sent as X-GanServe-Timeout when set (milliseconds).</summary>
    public int? ServerTimeoutMs { get; init; }

    /// <summary>The share of requests (0..1) the client cancels after <see cref="CancelAfter"/>.</summary>
    public double CancelFraction { get; init; }

    /// <summary>When a cancelling client gives up.</summary>
    public TimeSpan CancelAfter { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Open loop: at most this many requests in flight; due requests past it are counted as not sent.</summary>
    public int MaxOutstanding { get; init; } = 1024;

    /// <summary>Seeds the random choices (mix, seeds, cancellations), so a run can be repeated.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Sent as X-Api-Key when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>A process whose resident memory is sampled each second (Linux), e.g. the server's.</summary>
    public int? WatchPid { get; init; }

    /// <summary>A request with no answer by then counts as a transport error.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The transport; a runner given an HttpClient uses that whatever this says.</summary>
    public LoadTransport Transport { get; init; }

    /// <summary>Whether a runner without a given HttpClient uses the raw transport.</summary>
    public bool UsesRaw => Transport == LoadTransport.Raw || (Transport == LoadTransport.Auto && Url.Scheme == Uri.UriSchemeHttp);

    /// <summary>"closed" or "open".</summary>
    public string Mode => Rate is null ? "closed" : "open";

    /// <summary>Throws <see cref="ArgumentException"/> when the settings contradict each other.</summary>
    public void Validate()
    {
        if ((Clients is null) == (Rate is null))
        {
            throw new ArgumentException("Give either --clients N (closed loop) or --rate R (open loop), not both or neither.");
        }

        if (Clients is <= 0 || Rate is <= 0 || double.IsNaN(Rate ?? 1) || double.IsInfinity(Rate ?? 1))
        {
            throw new ArgumentException("--clients and --rate must be positive.");
        }

        if (Url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--url must be http:// or https://, got '{Url}'.");
        }

        if (Duration <= TimeSpan.Zero || Warmup < TimeSpan.Zero)
        {
            throw new ArgumentException("--duration must be positive and --warmup not negative.");
        }

        if (CancelFraction is < 0 or > 1 || double.IsNaN(CancelFraction))
        {
            throw new ArgumentException("--cancel-fraction must be between 0 and 1.");
        }

        if (MaxOutstanding <= 0 || ServerTimeoutMs is <= 0 || CancelAfter < TimeSpan.Zero)
        {
            throw new ArgumentException("--max-outstanding and --timeout-ms must be positive, --cancel-after not negative.");
        }

        if (Transport == LoadTransport.Raw && Url.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("--transport raw speaks plain http:// only; use --transport httpclient for https://.");
        }
    }
}
