using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace GanServe.Server.Metrics;

/// <summary>
/// Collects the <see cref="GanServeMetrics"/> meter with a <see cref="MeterListener"/> and writes the
/// Prometheus text exposition format (counters, gauges, histograms with fixed buckets).
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The media type of the exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] SecondsBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly Lock _scrapeLock = new();

    /// <summary>Starts listening to the meter of <paramref name="metrics"/> (only that instance, not others of the same name).</summary>
    public PrometheusExporter(GanServeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var meter = metrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                var series = _instruments.GetOrAdd(instrument, static i => new InstrumentSeries(i, BucketsFor(i)));
                listener.EnableMeasurementEvents(instrument, series);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Writes every instrument in the text format.</summary>
    public string Scrape()
    {
        var text = new StringBuilder(4096);
        lock (_scrapeLock)
        {
            foreach (var series in _instruments.Values.Where(s => s.IsObservable))
            {
                series.Clear();
            }

            _listener.RecordObservableInstruments();
            foreach (var series in _instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                series.Write(text);
            }
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static double[]? BucketsFor(Instrument instrument) => instrument switch
    {
        Histogram<int> => BatchBuckets,
        Histogram<double> => SecondsBuckets,
        _ => null,
    };

    private sealed class InstrumentSeries(Instrument instrument, double[]? buckets)
    {
        private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);

        // Cells by the tags as recorded (up to two, in the caller's order), so a measurement finds its cell
        // without formatting the label text each time.
        private readonly ConcurrentDictionary<TagKey, Cell> _cellsByTags = new();

        public string Name => instrument.Name;

        public bool IsObservable => instrument.IsObservable;

        public void Clear()
        {
            _cellsByTags.Clear();
            _cells.Clear();
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Cell cell;
            if (tags.Length <= 2)
            {
                var key = new TagKey(tags);
                if (!_cellsByTags.TryGetValue(key, out cell!))
                {
                    cell = _cells.GetOrAdd(Labels(tags), static (_, b) => new Cell(b), buckets);
                    _cellsByTags.TryAdd(key, cell);
                }
            }
            else
            {
                cell = _cells.GetOrAdd(Labels(tags), static (_, b) => new Cell(b), buckets);
            }

            cell.Record(value, instrument.IsObservable && buckets is null);
        }

        public void Write(StringBuilder text)
        {
            var type = buckets is not null ? "histogram" : instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) ? "counter" : "gauge";
            text.Append("# HELP ").Append(Name).Append(' ').Append(instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, cell) in _cells.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (buckets is null)
                {
                    text.Append(Name).Append(Braces(labels)).Append(' ').Append(Number(cell.Sum)).Append('\n');
                    continue;
                }

                var (counts, sum, count) = cell.Histogram();
                var sep = labels.Length == 0 ? string.Empty : ",";
                long cumulative = 0;
                for (var i = 0; i < buckets.Length; i++)
                {
                    cumulative += counts[i];
                    text.Append(Name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"")
                        .Append(Number(buckets[i])).Append("\"} ").Append(cumulative).Append('\n');
                }

                text.Append(Name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(count).Append('\n');
                text.Append(Name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(sum)).Append('\n');
                text.Append(Name).Append("_count").Append(Braces(labels)).Append(' ').Append(count).Append('\n');
            }
        }

        private static string Braces(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";

        private static string Number(double value) => value switch
        {
            double.PositiveInfinity => "+Inf",
            double.NegativeInfinity => "-Inf",
            _ => value.ToString("R", CultureInfo.InvariantCulture),
        };

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return string.Empty;
            }

            var pairs = tags.ToArray();
            Array.Sort(pairs, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var text = new StringBuilder();
            foreach (var (key, value) in pairs)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                text.Append(key).Append("=\"");
                foreach (var ch in Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty)
                {
                    _ = ch switch
                    {
                        '\\' => text.Append("\\\\"),
                        '"' => text.Append("\\\""),
                        '\n' => text.Append("\\n"),
                        _ => text.Append(ch),
                    };
                }

                text.Append('"');
            }

            return text.ToString();
        }
    }

    /// <summary>Up to two tags as a dictionary key (values compared with <see cref="object.Equals(object?)"/>).</summary>
    private readonly record struct TagKey(string? Key1, object? Value1, string? Key2, object? Value2)
    {
        public TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
            : this(
                tags.Length > 0 ? tags[0].Key : null,
                tags.Length > 0 ? tags[0].Value : null,
                tags.Length > 1 ? tags[1].Key : null,
                tags.Length > 1 ? tags[1].Value : null)
        {
        }
    }

    private sealed class Cell(double[]? buckets)
    {
        private readonly Lock _lock = new();
        private readonly long[] _counts = new long[buckets?.Length ?? 0];
        private double _sum;
        private long _count;

        public double Sum
        {
            get
            {
                lock (_lock)
                {
                    return _sum;
                }
            }
        }

        public void Record(double value, bool replace)
        {
            lock (_lock)
            {
                _sum = replace ? value : _sum + value;
                _count++;
                if (buckets is null)
                {
                    return;
                }

                var index = Array.BinarySearch(buckets, value);
                index = index >= 0 ? index : ~index;
                if (index < _counts.Length)
                {
                    _counts[index]++;
                }
            }
        }

        public (long[] Counts, double Sum, long Count) Histogram()
        {
            lock (_lock)
            {
                return ((long[])_counts.Clone(), _sum, _count);
            }
        }
    }
}
