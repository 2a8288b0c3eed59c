using System.Diagnostics;

namespace GanServe.Server.Metrics;

/// <summary>
/// Records one model's measurements on the <see cref="GanServeMetrics"/> instruments and keeps the
/// running figures of <c>/v1/stats</c> (rates over 10 s and 60 s, batch-size counts, latency percentiles).
/// </summary>
public sealed class ModelTelemetry
{
    private const int RateSlots = 60;
    private const int LatencySamples = 2048;

    // The status label of 100..599, formatted once instead of per request.
    private static readonly string[] StatusTexts =
        [.. Enumerable.Range(100, 500).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly GanServeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _modelTag;
    private readonly Lock _lock = new();
    private readonly long[] _slotSecond = new long[RateSlots];
    private readonly long[] _slotImages = new long[RateSlots];
    private readonly double[] _latencyMs = new double[LatencySamples];
    private readonly SortedDictionary<int, long> _batchSizes = [];
    private readonly List<Func<long>> _queueDepths = [];
    private int _latencyCount;
    private int _latencyNext;
    private long _requests;
    private long _images;
    private long _batches;
    private long _batchedImages;
    private long _rejected;
    private long _timedOut;

    internal ModelTelemetry(string model, GanServeMetrics metrics, TimeProvider time)
    {
        Model = model;
        _metrics = metrics;
        _time = time;
        _modelTag = new KeyValuePair<string, object?>("model", model);
        Array.Fill(_slotSecond, -1);
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>The provider of the model's default version, once loaded.</summary>
    public string? Provider { get; set; }

    /// <summary>Images waiting in the model's queues (all versions).</summary>
    public long QueueDepth
    {
        get
        {
            lock (_lock)
            {
                return _queueDepths.Sum(d => d());
            }
        }
    }

    internal KeyValuePair<string, object?> ModelTag => _modelTag;

    /// <summary>Adds a queue whose depth counts toward this model's.</summary>
    public void AddQueue(Func<long> depth)
    {
        lock (_lock)
        {
            _queueDepths.Add(depth);
        }
    }

    /// <summary>A request to this model was answered with <paramref name="status"/> after <paramref name="elapsed"/>.</summary>
    public void RequestCompleted(int status, TimeSpan elapsed)
    {
        _metrics.Requests.Add(1, _modelTag, new KeyValuePair<string, object?>("status", StatusText(status)));
        _metrics.RequestSeconds.Record(elapsed.TotalSeconds, _modelTag);
        Interlocked.Increment(ref _requests);
        lock (_lock)
        {
            _latencyMs[_latencyNext] = elapsed.TotalMilliseconds;
            _latencyNext = (_latencyNext + 1) % LatencySamples;
            _latencyCount = Math.Min(_latencyCount + 1, LatencySamples);
        }
    }

    /// <summary>A forward pass of <paramref name="images"/> real images took <paramref name="elapsed"/>.</summary>
    public void BatchCompleted(int images, TimeSpan elapsed)
    {
        _metrics.Batches.Add(1, _modelTag);
        _metrics.Images.Add(images, _modelTag);
        _metrics.BatchSize.Record(images, _modelTag);
        _metrics.InferenceSeconds.Record(elapsed.TotalSeconds, _modelTag);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedImages, images);
        Interlocked.Add(ref _images, images);
        var second = CurrentSecond();
        lock (_lock)
        {
            var slot = (int)(second % RateSlots);
            if (_slotSecond[slot] != second)
            {
                _slotSecond[slot] = second;
                _slotImages[slot] = 0;
            }

            _slotImages[slot] += images;
            _batchSizes[images] = _batchSizes.GetValueOrDefault(images) + 1;
        }
    }

    /// <summary>A request waited <paramref name="waited"/> before its first batch.</summary>
    public void Queued(TimeSpan waited) => _metrics.QueueSeconds.Record(waited.TotalSeconds, _modelTag);

    /// <summary>A request was turned away for <paramref name="reason"/> (one of <see cref="RejectionReasons"/>).</summary>
    public void Rejected(string reason)
    {
        _metrics.Rejected.Add(1, _modelTag, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Increment(ref _rejected);
        if (reason == RejectionReasons.Deadline)
        {
            Interlocked.Increment(ref _timedOut);
        }
    }

    /// <summary>A snapshot of the figures for <c>/v1/stats</c>.</summary>
    public ModelStats Snapshot()
    {
        var second = CurrentSecond();
        long last10 = 0, last60 = 0;
        double[] latencies;
        Dictionary<string, long> histogram;
        lock (_lock)
        {
            for (var i = 0; i < RateSlots; i++)
            {
                var age = second - _slotSecond[i];
                if (_slotSecond[i] < 0 || age < 0 || age >= RateSlots)
                {
                    continue;
                }

                last60 += _slotImages[i];
                if (age < 10)
                {
                    last10 += _slotImages[i];
                }
            }

            latencies = _latencyMs.AsSpan(0, _latencyCount).ToArray();
            histogram = _batchSizes.ToDictionary(
                p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value);
        }

        Array.Sort(latencies);
        var batches = Interlocked.Read(ref _batches);
        return new ModelStats(
            Provider,
            Interlocked.Read(ref _requests),
            Interlocked.Read(ref _images),
            last10 / 10.0,
            last60 / 60.0,
            batches,
            batches == 0 ? 0 : (double)Interlocked.Read(ref _batchedImages) / batches,
            histogram,
            QueueDepth,
            new LatencyPercentiles(Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99)),
            Interlocked.Read(ref _rejected),
            Interlocked.Read(ref _timedOut));
    }

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        // Nearest rank.
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)], 3);
    }

    private static string StatusText(int status) =>
        (uint)(status - 100) < (uint)StatusTexts.Length
            ? StatusTexts[status - 100]
            : status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private long CurrentSecond() => _time.GetTimestamp() / Stopwatch.Frequency;
}

/// <summary>Latency percentiles in milliseconds over the most recent requests.</summary>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
public sealed record LatencyPercentiles(double P50, double P95, double P99);

/// <summary>One model's entry in <c>/v1/stats</c>.</summary>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="RequestsTotal">Requests answered.</param>
/// <param name="ImagesTotal">Images generated.</param>
/// <param name="ImagesPerSecond10s">Images per second over the last 10 seconds.</param>
/// <param name="ImagesPerSecond60s">Images per second over the last 60 seconds.</param>
/// <param name="BatchesTotal">Forward passes.</param>
/// <param name="MeanBatchSize">Images per forward pass on average.</param>
/// <param name="BatchSizeHistogram">How many forward passes had each batch size.</param>
/// <param name="QueueDepth">Images waiting now.</param>
/// <param name="LatencyMs">Request latency percentiles (last 2048 requests).</param>
/// <param name="RejectedTotal">Requests turned away for any reason.</param>
/// <param name="TimedOutTotal">Requests dropped at their deadline.</param>
public sealed record ModelStats(
    string? Provider,
    long RequestsTotal,
    long ImagesTotal,
    double ImagesPerSecond10s,
    double ImagesPerSecond60s,
    long BatchesTotal,
    double MeanBatchSize,
    IReadOnlyDictionary<string, long> BatchSizeHistogram,
    long QueueDepth,
    LatencyPercentiles LatencyMs,
    long RejectedTotal,
    long TimedOutTotal);
