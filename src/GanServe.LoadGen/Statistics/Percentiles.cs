namespace GanServe.LoadGen.Statistics;

/// <summary>
/// Nearest-rank percentiles: of n sorted values, the p-th percentile is the value at rank ceil(p/100 × n)
/// (1-based), so every figure reported is a latency some request actually had; p100 is the maximum.
/// </summary>
public static class Percentiles
{
    /// <summary>The p-th percentile (0 &lt; p ≤ 100) of values already sorted ascending; null when there are none.</summary>
    public static double? OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 100);
        if (sorted.Count == 0)
        {
            return null;
        }

        // The small epsilon keeps p × n that is an integer in exact arithmetic (e.g. 0.9 × 10) from rounding up a rank.
        var rank = (int)Math.Ceiling((p / 100 * sorted.Count) - 1e-9);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
