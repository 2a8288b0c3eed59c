using GanServe.Training.Evaluation;

namespace GanServe.Training.Tests;

public sealed class FrechetBreakdownTests
{
    // Three 2-d points per class; class 1 of the second set is class 1 of the first moved by (3, 4).
    private static readonly float[] First = [0, 0, 1, 0, 0, 2, /* class 1 */ 5, 5, 6, 5, 5, 7];
    private static readonly float[] Second = [0, 0, 1, 0, 0, 2, /* class 1 */ 8, 9, 9, 9, 8, 11];
    private static readonly int[] Classes = [0, 0, 0, 1, 1, 1];

    [Fact]
    public void WithinClasses_SameRows_ZeroAndShiftedRows_TheSquaredShift()
    {
        var within = FrechetBreakdown.WithinClasses(First, Classes, Second, Classes, dimension: 2, classes: 3);

        Assert.Equal(0, within[0]!.Value, 1e-9);
        Assert.Equal(25, within[1]!.Value, 1e-9); // same covariance, means 5 apart
        Assert.Null(within[2]); // no rows of class 2
    }

    [Fact]
    public void Of_MeanTermAndVariances_AreTheClosedForms()
    {
        var a = FeatureStatistics.Of(First, 6, 2);
        var b = FeatureStatistics.Of(Second, 6, 2);

        var parts = FrechetBreakdown.Of(a, b, Classes, First, [0, 0, 0, 1, 1, 1], Second, 2, 2);

        // Means differ by (3, 4) / 2 = (1.5, 2): squared distance 6.25.
        Assert.Equal(6.25, parts.MeanTerm, 1e-9);
        Assert.Equal(a.Covariance[0, 0] + a.Covariance[1, 1], parts.GeneratedVariance, 1e-12);
        Assert.Equal(b.Covariance[0, 0] + b.Covariance[1, 1], parts.TestVariance, 1e-12);
        Assert.True(parts.MeanTerm < FrechetDistance.Between(a, b)); // the covariance term adds the rest
        Assert.Equal(25, parts.PerClass[1]!.Value, 1e-9);
    }

    [Fact]
    public void Predictions_TakeTheLargestLogitAndTheFirstOnTies()
    {
        float[] logits = [0.1f, 2f, -1f, /* tie */ 3f, 3f, 0f, -5f, -6f, -4f];

        Assert.Equal(new[] { 1, 0, 2 }, ClassShares.Predictions(logits, 3));
        Assert.Throws<ArgumentException>(() => ClassShares.Predictions([1f, 2f], 3));
    }

    [Fact]
    public void WithinClasses_FeatureCountNotMatchingTheLabels_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => FrechetBreakdown.WithinClasses(First, [0, 1], Second, Classes, 2, 2));
    }
}
