namespace GanServe.Client;

/// <summary>Where the server is and how hard the client tries: retries, circuit breaker and timeouts.</summary>
public sealed class GanServeClientOptions
{
    /// <summary>The server's address.</summary>
    public Uri BaseAddress { get; set; } = new("http://localhost:8080");

    /// <summary>Sent as <c>X-Api-Key</c> when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Retries after the first attempt (429, 503 and transient failures).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first backoff delay (exponential with jitter) when the server gives no <c>Retry-After</c>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, <c>Retry-After</c> included.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One attempt's timeout.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The whole call's timeout, retries and waits included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Share of failed attempts within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts.</summary>
    public int CircuitMinimumThroughput { get; set; } = 20;

    /// <summary>The circuit breaker's window; at least twice <see cref="AttemptTimeout"/>.</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit fails calls at once before it lets one through.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
