using GanServe.LoadGen.Load;
using GanServe.LoadGen.Reporting;
using GanServe.LoadGen.Statistics;

namespace GanServe.LoadGen.Tests;

public sealed class StatisticsTests
{
    private static readonly double[] OneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Theory]
    [InlineData(50, 5)]
    [InlineData(90, 9)]
    [InlineData(99, 10)]
    [InlineData(100, 10)]
    [InlineData(10, 1)]
    [InlineData(11, 2)]
    [InlineData(0.001, 1)]
    public void OfSorted_OneToTen_IsNearestRank(double p, double expected)
    {
        Assert.Equal(expected, Percentiles.OfSorted(OneToTen, p));
    }

    [Fact]
    public void OfSorted_OneToHundred_P99Is99AndP50Is50()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

        Assert.Equal(50, Percentiles.OfSorted(values, 50));
        Assert.Equal(99, Percentiles.OfSorted(values, 99));
        Assert.Equal(100, Percentiles.OfSorted(values, 99.5));
    }

    [Fact]
    public void OfSorted_Empty_IsNull()
    {
        Assert.Null(Percentiles.OfSorted([], 50));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100.5)]
    public void OfSorted_PercentOutOfRange_Throws(double p)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.OfSorted(OneToTen, p));
    }

    [Fact]
    public void Of_UnsortedValues_SortsAndSummarises()
    {
        var summary = LatencySummary.Of([7, 3, 10, 1, 9, 2, 8, 4, 6, 5]);

        Assert.Equal(new LatencySummary(10, 5.5, 5, 9, 10, 10), summary);
    }

    [Fact]
    public void Of_NoValues_HasCountZeroAndNullFigures()
    {
        Assert.Equal(new LatencySummary(0, null, null, null, null, null), LatencySummary.Of([]));
    }

    [Fact]
    public void Summarise_MixedOutcomes_CountsEachKindAndStatus()
    {
        var settings = new LoadSettings { Clients = 2 };
        RequestOutcome[] outcomes =
        [
            new(OutcomeKind.Answered, 200, 1, 1, 3, 1, false),
            new(OutcomeKind.Answered, 200, 3, 4, 8, 2, false),
            new(OutcomeKind.Answered, 200, 2, 1, 1, 1, false),
            RequestOutcome.Answer(429, 0.5, hasRetryAfter: true),
            RequestOutcome.Answer(429, 0.5),
            RequestOutcome.Answer(503, 0.7),
            RequestOutcome.Answer(504, 9, images: 4),
            RequestOutcome.Error(30),
            RequestOutcome.Cancel(1),
            RequestOutcome.Cancel(1),
        ];

        var report = LoadReport.Summarise(settings, "m", outcomes, notSent: 5, TimeSpan.FromSeconds(2));

        Assert.Equal(10, report.Sent);
        Assert.Equal(7, report.Answered);
        Assert.Equal(report.Sent, report.Answered + report.TransportErrors + report.Cancelled);
        Assert.Equal(new Dictionary<int, long> { [200] = 3, [429] = 2, [503] = 1, [504] = 1 }, report.ByStatus);
        Assert.Equal(1, report.TransportErrors);
        Assert.Equal(2, report.Cancelled);
        Assert.Equal(5, report.NotSent);
        Assert.Equal(2, report.MissingRetryAfter);
        Assert.Equal(6, report.Images);
        Assert.Equal(3.0, report.ImagesPerSecond, 9);
        Assert.Equal(3.5, report.AnsweredPerSecond, 9);
        Assert.Equal(3, report.LatencyOk.Count);
        Assert.Equal(2, report.LatencyOk.P50);
        Assert.Equal(3, report.LatencyOk.Max);
        Assert.Equal(7, report.LatencyAll.Count);
        Assert.Equal(9, report.LatencyAll.Max);
        Assert.Equal(12.0 / 4, report.MeanBatchSize);
        Assert.Equal("closed", report.Mode);
    }

    [Fact]
    public void Summarise_NoBatchHeaders_MeanBatchSizeIsNull()
    {
        var report = LoadReport.Summarise(new LoadSettings { Rate = 10 }, "m", [RequestOutcome.Answer(200, 1, 1)], 0, TimeSpan.FromSeconds(1));

        Assert.Null(report.MeanBatchSize);
        Assert.Equal("open", report.Mode);
        Assert.Contains("10 req/s (open loop)", report.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseVmRssKiB_StatusText_ReadsTheVmRssLine()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t  999 kB\nVmRSS:\t  215040 kB\nRssAnon:\t 100 kB\n";

        Assert.Equal(215040, MemoryWatcher.ParseVmRssKiB(status));
        Assert.Null(MemoryWatcher.ParseVmRssKiB("Name:\tkthreadd\n"));
    }

    [Fact]
    public async Task StopAsync_OwnProcess_SamplesResidentMemory()
    {
        await using var watcher = new MemoryWatcher(Environment.ProcessId);

        var summary = await watcher.StopAsync();

        Assert.Equal(1, summary.Samples);
        Assert.True(summary.FirstMiB > 1, $"RSS {summary.FirstMiB} MiB");
        Assert.Equal(summary.FirstMiB, summary.MaxMiB);
    }
}

public sealed class RepeatSummaryTests
{
    [Fact]
    public void Of_OddRuns_MedianIsTheMiddleAndSpreadIsRangeOverMedian()
    {
        var summary = RepeatSummary.Of([110, 90, 100]);

        Assert.Equal(new RepeatSummary(100, 90, 110, 3), summary);
        Assert.Equal(20, summary.SpreadPercent, 9);
    }

    [Fact]
    public void Of_EvenRuns_MedianIsTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(2.5, RepeatSummary.Of([4, 1, 3, 2]).Median);
    }

    [Fact]
    public void Of_OneRun_HasNoSpread()
    {
        Assert.Equal(0, RepeatSummary.Of([5]).SpreadPercent);
        Assert.Throws<ArgumentException>(() => RepeatSummary.Of([]));
    }
}
