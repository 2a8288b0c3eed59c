using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace GanServe.Server.Metrics;

/// <summary>Why a request was turned away (the <c>reason</c> label of <c>ganserve_rejected_total</c>).</summary>
public static class RejectionReasons
{
    /// <summary>The model's queue had no room.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The request waited past its deadline.</summary>
    public const string Deadline = "deadline";

    /// <summary>The model's circuit breaker was open.</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>The server was shutting down.</summary>
    public const string Draining = "draining";

    /// <summary>The client's rate limit was spent.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The client went away before its batch ran.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The <c>GanServe</c> meter and its instruments (names as Prometheus shows them), plus one
/// <see cref="ModelTelemetry"/> per model that also keeps the figures of <c>/v1/stats</c>.
/// </summary>
public sealed class GanServeMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "GanServe";

    private readonly ConcurrentDictionary<string, ModelTelemetry> _models = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the meter through the host's meter factory.</summary>
    public GanServeMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time;
        Meter = meterFactory.Create(MeterName);
        Requests = Meter.CreateCounter<long>("ganserve_requests_total", description: "Requests to a model answered, by HTTP status.");
        Images = Meter.CreateCounter<long>("ganserve_images_total", description: "Images generated.");
        Batches = Meter.CreateCounter<long>("ganserve_batches_total", description: "Forward passes run.");
        BatchSize = Meter.CreateHistogram<int>("ganserve_batch_size", unit: "{image}", description: "Images per forward pass.");
        QueueSeconds = Meter.CreateHistogram<double>("ganserve_queue_seconds", unit: "s", description: "Time from admission to the first batch a request ran in.");
        InferenceSeconds = Meter.CreateHistogram<double>("ganserve_inference_seconds", unit: "s", description: "Duration of one forward pass.");
        RequestSeconds = Meter.CreateHistogram<double>("ganserve_request_seconds", unit: "s", description: "Time to answer a request to a model.");
        Rejected = Meter.CreateCounter<long>("ganserve_rejected_total", description: "Requests turned away, by reason.");
        Meter.CreateObservableGauge("ganserve_queue_depth", ObserveQueueDepth, unit: "{image}", description: "Images waiting in a model's queue.");
        Meter.CreateObservableGauge("ganserve_provider_info", ObserveProviders, description: "The execution provider a model runs on (value 1).");
        StartTimestamp = time.GetTimestamp();
    }

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    /// <summary>When the service started (a <see cref="TimeProvider"/> timestamp).</summary>
    public long StartTimestamp { get; }

    /// <summary>Seconds since start.</summary>
    public double UptimeSeconds => _time.GetElapsedTime(StartTimestamp).TotalSeconds;

    internal Counter<long> Requests { get; }

    internal Counter<long> Images { get; }

    internal Counter<long> Batches { get; }

    internal Histogram<int> BatchSize { get; }

    internal Histogram<double> QueueSeconds { get; }

    internal Histogram<double> InferenceSeconds { get; }

    internal Histogram<double> RequestSeconds { get; }

    internal Counter<long> Rejected { get; }

    /// <summary>The models that have telemetry, by name.</summary>
    public IReadOnlyDictionary<string, ModelTelemetry> Models => _models;

    /// <summary>The telemetry of one model, created on first use.</summary>
    public ModelTelemetry For(string model) => _models.GetOrAdd(model, static (name, self) => new ModelTelemetry(name, self, self._time), this);

    private IEnumerable<Measurement<long>> ObserveQueueDepth() =>
        _models.Values.Select(m => new Measurement<long>(m.QueueDepth, m.ModelTag));

    private IEnumerable<Measurement<int>> ObserveProviders() =>
        _models.Values
            .Where(m => m.Provider is not null)
            .Select(m => new Measurement<int>(1, m.ModelTag, new KeyValuePair<string, object?>("provider", m.Provider)));
}
