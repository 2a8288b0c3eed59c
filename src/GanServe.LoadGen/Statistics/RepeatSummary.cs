namespace GanServe.LoadGen.Statistics;

/// <summary>A figure measured several times: its median and how far the runs spread (min–max, as % of the median).</summary>
public sealed record RepeatSummary(double Median, double Min, double Max, int Runs)
{
    /// <summary>(max − min) ÷ median, in percent; 0 for a single run or a zero median.</summary>
    public double SpreadPercent => Runs < 2 || Median == 0 ? 0 : (Max - Min) / Math.Abs(Median) * 100;

    /// <summary>Summarises the runs (the median of an even count is the mean of the middle two).</summary>
    public static RepeatSummary Of(IReadOnlyCollection<double> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("No runs to summarise.", nameof(runs));
        }

        var sorted = runs.Order().ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new RepeatSummary(median, sorted[0], sorted[^1], sorted.Length);
    }
}
