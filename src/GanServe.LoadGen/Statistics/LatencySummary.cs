namespace GanServe.LoadGen.Statistics;

/// <summary>Latency figures in milliseconds (nearest-rank percentiles); null figures when no request counted.</summary>
public sealed record LatencySummary(long Count, double? Mean, double? P50, double? P90, double? P99, double? Max)
{
    /// <summary>Summarises the given latencies (any order).</summary>
    public static LatencySummary Of(IEnumerable<double> latenciesMs)
    {
        var sorted = latenciesMs.ToArray();
        Array.Sort(sorted);
        return new LatencySummary(
            sorted.Length,
            sorted.Length == 0 ? null : sorted.Average(),
            Percentiles.OfSorted(sorted, 50),
            Percentiles.OfSorted(sorted, 90),
            Percentiles.OfSorted(sorted, 99),
            Percentiles.OfSorted(sorted, 100));
    }
}
