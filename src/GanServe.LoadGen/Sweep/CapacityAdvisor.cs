using System.Globalization;

namespace GanServe.LoadGen.Sweep;

/// <summary>The engine's own throughput by batch size (in-process), when known; lets the advice weigh fuller batches.</summary>
/// <param name="ImagesPerSecondByBatch">Images per second at each measured batch size.</param>
/// <param name="MsPerPassByBatch">Milliseconds per forward pass at each measured batch size.</param>
public sealed record EngineProfile(IReadOnlyDictionary<int, double> ImagesPerSecondByBatch, IReadOnlyDictionary<int, double> MsPerPassByBatch)
{
    /// <summary>The measured batch size nearest to <paramref name="batch"/> (the smaller on a tie).</summary>
    public int Nearest(double batch) => ImagesPerSecondByBatch.Keys.OrderBy(b => Math.Abs(b - batch)).ThenBy(b => b).First();
}

/// <summary>Recommended batching settings, with the reasons, and their environment-variable form.</summary>
public sealed record CapacityAdvice(int MaxBatchSize, TimeSpan MaxQueueDelay, int QueueCapacity, IReadOnlyList<string> Reasons)
{
    /// <summary>The settings as the server's environment variables (a ConfigMap's or a shell's).</summary>
    public IReadOnlyList<string> EnvironmentVariables =>
    [
        $"GanServe__Batching__MaxBatchSize={MaxBatchSize.ToString(CultureInfo.InvariantCulture)}",
        $"GanServe__Batching__MaxQueueDelay={MaxQueueDelay.ToString("c", CultureInfo.InvariantCulture)}",
        $"GanServe__Batching__QueueCapacity={QueueCapacity.ToString(CultureInfo.InvariantCulture)}",
    ];
}

/// <summary>
/// Turns a sweep's knee into settings. Rules: <c>MaxBatchSize</c> is the mean batch seen at the knee, or the
/// largest mean batch of the whole sweep when that is larger, rounded up to a power of two (batches the server
/// formed by itself; a smaller cap would stop the heaviest load tested from batching as it did, and with no
/// queue delay a larger cap costs nothing at low load); <c>MaxQueueDelay</c> stays 0 unless an
/// engine profile shows that batches of that size run at least <see cref="DelayPaysGain"/>× the images/s of the
/// batches actually formed, and then it is half a forward pass at the advised size (a request waits at most that
/// long for company); <c>QueueCapacity</c> is the knee's throughput times the latency budget (what the server can
/// drain in that time), rounded up to a multiple of 64 and at least 64 (the default MaxImagesPerRequest).
/// </summary>
public static class CapacityAdvisor
{
    /// <summary>Engine gain of fuller batches above which a queue delay is advised.</summary>
    public const double DelayPaysGain = 1.2;

    /// <summary>Advice from the knee of a sweep.</summary>
    public static CapacityAdvice Advise(SweepPoint knee, TimeSpan latencyBudget, EngineProfile? engine = null, double? largestMeanBatch = null)
    {
        ArgumentNullException.ThrowIfNull(knee);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(latencyBudget, TimeSpan.Zero);
        var c = CultureInfo.InvariantCulture;
        var reasons = new List<string>();

        var meanBatch = knee.MeanBatchSize ?? 1;
        var sized = Math.Max(meanBatch, largestMeanBatch ?? 0);
        var maxBatch = NextPowerOfTwo(Math.Max(1, (int)Math.Ceiling(sized - 1e-9)));
        reasons.Add(sized > meanBatch
            ? string.Create(c, $"MaxBatchSize {maxBatch}: the largest mean batch of the sweep ({sized:0.0}; {meanBatch:0.0} at the knee, {knee.Clients} clients), rounded up to a power of two, so the heaviest load tested still batches as it did.")
            : string.Create(c, $"MaxBatchSize {maxBatch}: mean batch {meanBatch:0.0} at the knee ({knee.Clients} clients), rounded up to a power of two."));

        var delay = TimeSpan.Zero;
        if (engine is not null && engine.ImagesPerSecondByBatch.Count > 0)
        {
            var formed = engine.Nearest(meanBatch);
            var advised = engine.Nearest(maxBatch);
            var gain = engine.ImagesPerSecondByBatch[advised] / engine.ImagesPerSecondByBatch[formed];
            if (advised > formed && gain >= DelayPaysGain)
            {
                delay = TimeSpan.FromMilliseconds(Math.Ceiling(engine.MsPerPassByBatch[advised] / 2 * 10) / 10);
                reasons.Add(string.Create(c, $"MaxQueueDelay {delay.TotalMilliseconds:0.0} ms: the engine runs batch {advised} at {gain:0.00}x the images/s of batch {formed}, so waiting up to half a pass for fuller batches pays."));
            }
            else if (advised <= formed)
            {
                reasons.Add(string.Create(c, $"MaxQueueDelay 0: the batches formed at the knee (about {formed}) are already the advised size; waiting would only add latency."));
            }
            else
            {
                reasons.Add(string.Create(c, $"MaxQueueDelay 0: the engine gains {gain:0.00}x from batch {formed} to {advised} (under {DelayPaysGain:0.0}x), so waiting would cost latency for little throughput."));
            }
        }
        else
        {
            reasons.Add("MaxQueueDelay 0: no engine profile to show that fuller batches would pay; under load batches fill by themselves.");
        }

        var drain = knee.ImagesPerSecond * latencyBudget.TotalSeconds;
        var capacity = Math.Max(64, (int)Math.Ceiling(drain / 64) * 64);
        reasons.Add(string.Create(c, $"QueueCapacity {capacity}: {knee.ImagesPerSecond:0} images/s at the knee x {latencyBudget.TotalMilliseconds:0} ms latency budget = {drain:0} images, rounded up to a multiple of 64 (at least 64)."));
        return new CapacityAdvice(maxBatch, delay, capacity, reasons);
    }

    /// <summary>The smallest power of two at least <paramref name="value"/> (1 for values below 1).</summary>
    public static int NextPowerOfTwo(int value) => value <= 1 ? 1 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)value);
}
