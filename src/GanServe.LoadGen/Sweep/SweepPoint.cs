using GanServe.LoadGen.Reporting;

namespace GanServe.LoadGen.Sweep;

/// <summary>One concurrency level of a sweep: throughput against latency.</summary>
/// <param name="Clients">Closed-loop clients.</param>
/// <param name="ImagesPerSecond">Images of 200 answers per second.</param>
/// <param name="P50Ms">Median latency of 200 answers.</param>
/// <param name="P99Ms">99th percentile latency of 200 answers.</param>
/// <param name="MeanBatchSize">Mean X-GanServe-Batch-Size seen.</param>
/// <param name="NotOk">Requests that did not get a 200 (other statuses, transport errors, cancellations).</param>
public sealed record SweepPoint(int Clients, double ImagesPerSecond, double? P50Ms, double? P99Ms, double? MeanBatchSize, long NotOk)
{
    /// <summary>The point of a closed-loop run's report.</summary>
    public static SweepPoint From(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ok = report.ByStatus.GetValueOrDefault(200);
        return new SweepPoint(report.Clients ?? 0, report.ImagesPerSecond, report.LatencyOk.P50, report.LatencyOk.P99, report.MeanBatchSize, report.Sent - ok);
    }
}
