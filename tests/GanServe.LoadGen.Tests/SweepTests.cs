using GanServe.LoadGen.Sweep;

namespace GanServe.LoadGen.Tests;

public sealed class SweepTests
{
    private static readonly SweepPoint[] Sweep =
    [
        new(1, 1000, 0.5, 2, 1.0, 0),
        new(2, 1800, 0.8, 3, 1.6, 0),
        new(4, 2900, 1.2, 4, 3.1, 0),
        new(8, 3700, 2.0, 6, 6.2, 0),
        new(16, 4000, 3.8, 9, 11.3, 0),
        new(32, 4100, 7.5, 16, 24.0, 0),
        new(64, 4050, 15.0, 31, 47.0, 0),
    ];

    [Fact]
    public void Find_SaturatingSweep_IsTheFewestClientsWithin90PercentOfPeak()
    {
        // Peak 4100: 90 % is 3690, first reached at 8 clients.
        Assert.Equal(3, KneeDetector.Find(Sweep));
        Assert.Equal(4, KneeDetector.Find(Sweep, 0.95));
    }

    [Fact]
    public void Find_PointsOutOfOrder_PicksTheLowestConcurrency()
    {
        SweepPoint[] shuffled = [Sweep[6], Sweep[3], Sweep[0], Sweep[4]];

        Assert.Equal(1, KneeDetector.Find(shuffled));
    }

    [Fact]
    public void Find_NothingServed_IsMinusOne()
    {
        Assert.Equal(-1, KneeDetector.Find([]));
        Assert.Equal(-1, KneeDetector.Find([new SweepPoint(1, 0, null, null, null, 10)]));
    }

    [Fact]
    public void Advise_KneeWithoutEngineProfile_RoundsBatchUpAndSizesQueueFromBudget()
    {
        var advice = CapacityAdvisor.Advise(Sweep[4], TimeSpan.FromMilliseconds(500));

        Assert.Equal(16, advice.MaxBatchSize);
        Assert.Equal(TimeSpan.Zero, advice.MaxQueueDelay);
        Assert.Equal(2048, advice.QueueCapacity); // 4000 × 0.5 s = 2000, up to a multiple of 64
        Assert.Equal(
            ["GanServe__Batching__MaxBatchSize=16", "GanServe__Batching__MaxQueueDelay=00:00:00", "GanServe__Batching__QueueCapacity=2048"],
            advice.EnvironmentVariables);
        Assert.Equal(3, advice.Reasons.Count);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData(1.0, 1)]
    [InlineData(1.01, 2)]
    [InlineData(4.0, 4)]
    [InlineData(47.0, 64)]
    public void Advise_MeanBatch_RoundsUpToAPowerOfTwo(double? meanBatch, int expected)
    {
        var advice = CapacityAdvisor.Advise(new SweepPoint(8, 100, 1, 2, meanBatch, 0), TimeSpan.FromMilliseconds(500));

        Assert.Equal(expected, advice.MaxBatchSize);
        Assert.Equal(64, advice.QueueCapacity); // 100 images/s × 0.5 s = 50, at least 64
    }

    [Fact]
    public void Advise_LargerBatchesPastTheKnee_SizesMaxBatchSizeForTheLargest()
    {
        var advice = CapacityAdvisor.Advise(new SweepPoint(4, 3000, 1, 2, 3.1, 0), TimeSpan.FromMilliseconds(500), largestMeanBatch: 10.35);

        Assert.Equal(16, advice.MaxBatchSize);
        Assert.Contains("largest mean batch", advice.Reasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Advise_EngineGainsFromFullerBatches_AdvisesHalfAPassOfDelay()
    {
        var engine = Profile((1, 1000, 1.0), (4, 2000, 2.0), (8, 3000, 2.7), (16, 3200, 5.0));

        // Mean batch 5 is nearest 4 (2000 images/s); advised 8 runs 3000: gain 1.5, delay 2.7 / 2 = 1.35 → 1.4 ms.
        var advice = CapacityAdvisor.Advise(new SweepPoint(8, 1900, 2, 5, 5.0, 0), TimeSpan.FromSeconds(1), engine);

        Assert.Equal(8, advice.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(1.4), advice.MaxQueueDelay);
        Assert.Equal("GanServe__Batching__MaxQueueDelay=00:00:00.0014000", advice.EnvironmentVariables[1]);
    }

    [Fact]
    public void Advise_EngineFlatAcrossBatches_KeepsDelayZero()
    {
        var engine = Profile((1, 3700, 0.27), (4, 4000, 1.0), (8, 4200, 1.9), (16, 4300, 3.7));

        var advice = CapacityAdvisor.Advise(new SweepPoint(8, 3000, 2, 5, 5.0, 0), TimeSpan.FromSeconds(1), engine);

        Assert.Equal(TimeSpan.Zero, advice.MaxQueueDelay);
        Assert.Contains("MaxQueueDelay 0", advice.Reasons[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Save_Sweep_WritesAPng()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ganserve-sweep-{Guid.NewGuid():N}.png");
        try
        {
            SweepPlot.Save(Sweep, 3, path, "test");

            var bytes = File.ReadAllBytes(path);
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], bytes[..4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static EngineProfile Profile(params (int Batch, double ImagesPerSecond, double Ms)[] rows) =>
        new(rows.ToDictionary(r => r.Batch, r => r.ImagesPerSecond), rows.ToDictionary(r => r.Batch, r => r.Ms));
}
