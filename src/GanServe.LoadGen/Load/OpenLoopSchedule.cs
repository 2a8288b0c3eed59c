namespace GanServe.LoadGen.Load;

/// <summary>
/// The open-loop schedule: request i is due at i ÷ rate seconds after the start, whatever the answers do, so a
/// slow server cannot slow the offered load (no coordinated omission); its latency counts from that time.
/// </summary>
public sealed class OpenLoopSchedule
{
    /// <summary>A schedule of <paramref name="rate"/> requests per second for <paramref name="duration"/>.</summary>
    public OpenLoopSchedule(double rate, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        Rate = rate;
        Total = (long)Math.Ceiling((duration.TotalSeconds * rate) - 1e-9);
    }

    /// <summary>Requests per second.</summary>
    public double Rate { get; }

    /// <summary>How many requests the schedule holds (due times in [0, duration)).</summary>
    public long Total { get; }

    /// <summary>When request <paramref name="index"/> is due, from the start.</summary>
    public TimeSpan DueAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return TimeSpan.FromSeconds(index / Rate);
    }

    /// <summary>How many requests are due by <paramref name="elapsed"/> (those with due time ≤ elapsed), at most <see cref="Total"/>.</summary>
    public long DueBy(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero)
        {
            return 0;
        }

        var due = (long)Math.Floor((elapsed.TotalSeconds * Rate) + 1e-9) + 1;
        return Math.Min(due, Total);
    }
}
