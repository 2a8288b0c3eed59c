using System.Globalization;
using System.Text;
using System.Text.Json;
using GanServe.LoadGen.Load;
using GanServe.LoadGen.Statistics;

namespace GanServe.LoadGen.Reporting;

/// <summary>
/// What a load run saw. <see cref="Sent"/> = <see cref="Answered"/> + <see cref="TransportErrors"/> +
/// <see cref="Cancelled"/>; <see cref="NotSent"/> (open loop, over <c>--max-outstanding</c>) is outside it.
/// </summary>
public sealed record LoadReport
{
    /// <summary>JSON as the reports are written (camelCase, indented).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>"closed" or "open".</summary>
    public required string Mode { get; init; }

    /// <summary>Closed-loop clients.</summary>
    public int? Clients { get; init; }

    /// <summary>Open-loop rate, requests per second.</summary>
    public double? Rate { get; init; }

    /// <summary>The model the requests named.</summary>
    public required string Model { get; init; }

    /// <summary>The mix, as written.</summary>
    public required string Mix { get; init; }

    /// <summary>From the first send of the measured phase to its last answer.</summary>
    public required double ElapsedSeconds { get; init; }

    /// <summary>Requests sent (each has exactly one outcome).</summary>
    public required long Sent { get; init; }

    /// <summary>Requests the server answered, any status.</summary>
    public required long Answered { get; init; }

    /// <summary>Answers by HTTP status code.</summary>
    public required IReadOnlyDictionary<int, long> ByStatus { get; init; }

    /// <summary>Requests with no answer (refused, reset, timed out on the client).</summary>
    public required long TransportErrors { get; init; }

    /// <summary>Requests the client cancelled on purpose.</summary>
    public required long Cancelled { get; init; }

    /// <summary>Open loop: requests due while <c>--max-outstanding</c> were in flight, so never sent.</summary>
    public required long NotSent { get; init; }

    /// <summary>429 and 503 answers without Retry-After (the contract says they carry one).</summary>
    public required long MissingRetryAfter { get; init; }

    /// <summary>Images in 200 answers.</summary>
    public required long Images { get; init; }

    /// <summary>Answers per second.</summary>
    public required double AnsweredPerSecond { get; init; }

    /// <summary>Images (of 200 answers) per second.</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Latency of the 200 answers.</summary>
    public required LatencySummary LatencyOk { get; init; }

    /// <summary>Latency of every answer, any status.</summary>
    public required LatencySummary LatencyAll { get; init; }

    /// <summary>The mean of every X-GanServe-Batch-Size value seen; null when none was.</summary>
    public double? MeanBatchSize { get; init; }

    /// <summary>The watched process's resident memory, when one was watched.</summary>
    public MemorySummary? Memory { get; init; }

    /// <summary>Summarises outcomes of a measured phase.</summary>
    public static LoadReport Summarise(LoadSettings settings, string model, IReadOnlyCollection<RequestOutcome> outcomes, long notSent, TimeSpan elapsed, MemorySummary? memory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(outcomes);
        var byStatus = new SortedDictionary<int, long>();
        long answered = 0, errors = 0, cancelled = 0, missingRetryAfter = 0, images = 0, batchSum = 0, batchCount = 0;
        foreach (var outcome in outcomes)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Answered:
                    answered++;
                    byStatus[outcome.Status] = byStatus.GetValueOrDefault(outcome.Status) + 1;
                    images += outcome.Status == 200 ? outcome.Images : 0;
                    batchSum += outcome.BatchSizeSum;
                    batchCount += outcome.BatchSizeCount;
                    if (outcome.Status is 429 or 503 && !outcome.HasRetryAfter)
                    {
                        missingRetryAfter++;
                    }

                    break;
                case OutcomeKind.TransportError:
                    errors++;
                    break;
                default:
                    cancelled++;
                    break;
            }
        }

        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        return new LoadReport
        {
            Mode = settings.Mode,
            Clients = settings.Clients,
            Rate = settings.Rate,
            Model = model,
            Mix = settings.Mix.ToString(),
            ElapsedSeconds = elapsed.TotalSeconds,
            Sent = outcomes.Count,
            Answered = answered,
            ByStatus = byStatus,
            TransportErrors = errors,
            Cancelled = cancelled,
            NotSent = notSent,
            MissingRetryAfter = missingRetryAfter,
            Images = images,
            AnsweredPerSecond = answered / seconds,
            ImagesPerSecond = images / seconds,
            LatencyOk = LatencySummary.Of(outcomes.Where(o => o.Kind == OutcomeKind.Answered && o.Status == 200).Select(o => o.LatencyMs)),
            LatencyAll = LatencySummary.Of(outcomes.Where(o => o.Kind == OutcomeKind.Answered).Select(o => o.LatencyMs)),
            MeanBatchSize = batchCount == 0 ? null : (double)batchSum / batchCount,
            Memory = memory,
        };
    }

    /// <summary>The report as a small text table.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var load = Mode == "closed" ? $"{Clients} clients (closed loop)" : string.Create(c, $"{Rate:0.##} req/s (open loop)");
        text.AppendLine(c, $"{Model}, {load}, mix {Mix}, {ElapsedSeconds:0.00} s measured");
        text.AppendLine(c, $"sent {Sent}: answered {Answered} ({string.Join(", ", ByStatus.Select(s => $"{s.Key}: {s.Value}"))}), transport errors {TransportErrors}, cancelled {Cancelled}; not sent (over max outstanding) {NotSent}");
        text.AppendLine(c, $"throughput {AnsweredPerSecond:0.0} answers/s, {ImagesPerSecond:0.0} images/s; mean batch size {Format(MeanBatchSize, "0.00")}; 429/503 without Retry-After {MissingRetryAfter}");
        text.AppendLine("latency ms      count      p50      p90      p99      max");
        text.AppendLine(Row("200 answers", LatencyOk));
        text.AppendLine(Row("all answers", LatencyAll));
        if (Memory is { } m)
        {
            text.AppendLine(c, $"process {m.ProcessId} resident memory MiB: first {Format(m.FirstMiB, "0.0")}, last {Format(m.LastMiB, "0.0")}, max {Format(m.MaxMiB, "0.0")} ({m.Samples} samples)");
        }

        return text.ToString();
    }

    /// <summary>Writes the report as JSON.</summary>
    public void WriteJson(string path)
    {
        CreateDirectoryFor(path);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Creates the folder a file is to be written in.</summary>
    public static void CreateDirectoryFor(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>A figure in the invariant culture, "-" when missing.</summary>
    public static string Format(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Row(string label, LatencySummary s) => string.Create(
        CultureInfo.InvariantCulture,
        $"{label,-12} {s.Count,8} {Format(s.P50, "0.000"),8} {Format(s.P90, "0.000"),8} {Format(s.P99, "0.000"),8} {Format(s.Max, "0.000"),8}");
}
