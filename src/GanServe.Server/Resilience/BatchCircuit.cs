using GanServe.Server.Configuration;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace GanServe.Server.Resilience;

/// <summary>
/// The Polly pipeline around one model version's forward passes: a circuit breaker (opens when
/// <c>FailureThreshold</c> batches in a row fail within the sampling window) over a per-batch timeout.
/// While open it tells admission to answer 503, and after <c>BreakDuration</c> it probes the model by
/// itself with a warm-up batch, so readiness comes back without client traffic.
/// </summary>
public sealed partial class BatchCircuit : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Func<CancellationToken, ValueTask>? _probe;
    private ITimer? _probeTimer;
    private DateTimeOffset _openUntil;
    private bool _open;
    private bool _disposed;

    /// <summary>Builds the pipeline from the resilience options; time comes from <paramref name="time"/>.</summary>
    public BatchCircuit(ResilienceOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        Pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, options.FailureThreshold),
                SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, options.BreakDuration.Ticks * 3)),
                BreakDuration = options.BreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                OnOpened = args =>
                {
                    Opened(args.BreakDuration, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    Closed();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.BatchTimeout)
            .Build();
    }

    /// <summary>Raised (on any thread) when the circuit opens or closes.</summary>
    public event EventHandler? StateChanged;

    /// <summary>The pipeline each batch runs through.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>Whether the circuit is open (or half-open, waiting for its probe).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    /// <summary>How long until the circuit tries again (at least one second, for <c>Retry-After</c>).</summary>
    public TimeSpan RetryAfter
    {
        get
        {
            lock (_lock)
            {
                var left = _openUntil - _time.GetUtcNow();
                return left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left;
            }
        }
    }

    /// <summary>Sets the warm-up batch the breaker runs by itself when its break ends.</summary>
    public void SetProbe(Func<CancellationToken, ValueTask> probe) => _probe = probe;

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _probeTimer?.Dispose();
            _probeTimer = null;
        }
    }

    private void Opened(TimeSpan breakDuration, Exception? cause)
    {
        lock (_lock)
        {
            _open = true;
            _openUntil = _time.GetUtcNow() + breakDuration;
            ScheduleProbe(breakDuration);
        }

        LogOpened(_logger, breakDuration, cause);
        StateChanged?.Invoke(this, EventArgs.Empty);
    }

    private void Closed()
    {
        lock (_lock)
        {
            _open = false;
            _probeTimer?.Dispose();
            _probeTimer = null;
        }

        LogClosed(_logger);
        StateChanged?.Invoke(this, EventArgs.Empty);
    }

    private void ScheduleProbe(TimeSpan due)
    {
        if (_disposed)
        {
            return;
        }

        _probeTimer?.Dispose();
        _probeTimer = _time.CreateTimer(static state => _ = ((BatchCircuit)state!).ProbeAsync(), this, due, Timeout.InfiniteTimeSpan);
    }

    private async Task ProbeAsync()
    {
        if (_probe is not { } probe)
        {
            return;
        }

        try
        {
            await Pipeline.ExecuteAsync(static (p, ct) => p(ct), probe, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            // Another batch is the half-open trial, or the break is not over yet: look again shortly.
            lock (_lock)
            {
                if (_open)
                {
                    ScheduleProbe(TimeSpan.FromSeconds(1));
                }
            }
        }
        catch (Exception ex)
        {
            // A failed probe re-opens the circuit, which schedules the next probe.
            LogProbeFailed(_logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Circuit opened for {BreakDuration} after repeated batch failures")]
    private static partial void LogOpened(ILogger logger, TimeSpan breakDuration, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit closed: the model answers again")]
    private static partial void LogClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit probe failed")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception);
}
