using GanServe.Training.Training;

namespace GanServe.Training.Tests;

public sealed class RunComparisonTests
{
    [Fact]
    public void Summarise_KnownRows_AveragesTheRightWindows()
    {
        var rows = Enumerable.Range(1, 100)
            .Select(i => new StepMetrics(i, 1, 1.0, i <= 50 ? 2.0 : 4.0, 0.5, i <= 50 ? 0.1 : 0.3, i <= 50 ? 1.0 : 3.0, i))
            .ToList();

        var summary = RunComparison.Summarise("ns", rows, steps: 100);

        Assert.Equal(100, summary.Steps);
        Assert.Equal(1.0, summary.MeanGradNormFirst50, 12);
        Assert.Equal(2.0, summary.MeanGradNorm, 12);
        Assert.Equal(0.3, summary.FinalMeanDFake, 12);
        Assert.Equal(4.0, summary.FinalGeneratorLoss, 12);
    }

    [Fact]
    public void Summarise_StepsBelowRunLength_UsesOnlyTheFirstSteps()
    {
        var rows = Enumerable.Range(1, 10).Select(i => new StepMetrics(i, 1, 0, 0, 0, 0, i, i)).ToList();

        var summary = RunComparison.Summarise("x", rows, steps: 4);

        Assert.Equal(4, summary.Steps);
        Assert.Equal(2.5, summary.MeanGradNorm, 12);
    }

    [Fact]
    public void Table_TwoRuns_HasHeaderAndOneRowEach()
    {
        var table = RunComparison.Table([new RunSummary("non-saturating", 500, 1.5, 2, 0.2, 3), new RunSummary("minimax", 500, 0.01, 0.02, 0.01, -0.01)]);

        var lines = table.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("| minimax | 500 | 0.01 |", lines[3], StringComparison.Ordinal);
    }
}
