namespace GanServe.LoadGen.Sweep;

/// <summary>
/// The knee of a throughput-vs-concurrency sweep: the fewest clients that reach <see cref="DefaultShare"/> of
/// the best throughput seen. Past it, more clients mostly buy queueing (latency), not images.
/// </summary>
public static class KneeDetector
{
    /// <summary>The share of the peak throughput that counts as saturated.</summary>
    public const double DefaultShare = 0.9;

    /// <summary>The index of the knee in <paramref name="points"/> (any order: the lowest concurrency wins); -1 when empty or no point served anything.</summary>
    public static int Find(IReadOnlyList<SweepPoint> points, double share = DefaultShare)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(share);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1);
        if (points.Count == 0)
        {
            return -1;
        }

        var peak = points.Max(p => p.ImagesPerSecond);
        if (peak <= 0)
        {
            return -1;
        }

        var knee = -1;
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].ImagesPerSecond >= share * peak && (knee < 0 || points[i].Clients < points[knee].Clients))
            {
                knee = i;
            }
        }

        return knee;
    }
}
