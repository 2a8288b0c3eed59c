namespace GanServe.Training.Evaluation;

/// <summary>
/// Where a Fréchet distance comes from: the squared distance between the two means (the rest is
/// the covariance term), the total feature variance (trace of each covariance) of both sets,
/// and the distance within each class: generated images grouped by the classifier's prediction
/// against test images grouped by their label. A class with fewer than two images in either set
/// has no within-class figure (null).
/// </summary>
public sealed record FrechetBreakdown(double MeanTerm, double GeneratedVariance, double TestVariance, IReadOnlyList<double?> PerClass)
{
    /// <summary>The same within-class distance between training images and test images, both by label.</summary>
    public IReadOnlyList<double?> PerClassFloor { get; init; } = [];

    /// <summary>Computes the breakdown from both feature sets (row-major [count, dimension]).</summary>
    public static FrechetBreakdown Of(
        FeatureStatistics generated,
        FeatureStatistics test,
        IReadOnlyList<int> generatedClasses,
        ReadOnlySpan<float> generatedFeatures,
        IReadOnlyList<byte> testLabels,
        ReadOnlySpan<float> testFeatures,
        int dimension,
        int classes)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(generatedClasses);
        ArgumentNullException.ThrowIfNull(testLabels);
        double meanTerm = 0;
        for (var i = 0; i < generated.Dimension; i++)
        {
            var d = generated.Mean[i] - test.Mean[i];
            meanTerm += d * d;
        }

        var perClass = WithinClasses(generatedFeatures, generatedClasses, testFeatures, testLabels.Select(l => (int)l).ToList(), dimension, classes);
        return new FrechetBreakdown(meanTerm, Trace(generated), Trace(test), perClass);
    }

    /// <summary>The Fréchet distance between the rows of each class in two labelled feature sets (null under two rows).</summary>
    public static double?[] WithinClasses(
        ReadOnlySpan<float> first,
        IReadOnlyList<int> firstClasses,
        ReadOnlySpan<float> second,
        IReadOnlyList<int> secondClasses,
        int dimension,
        int classes)
    {
        ArgumentNullException.ThrowIfNull(firstClasses);
        ArgumentNullException.ThrowIfNull(secondClasses);
        var perClass = new double?[classes];
        for (var k = 0; k < classes; k++)
        {
            var a = Rows(first, dimension, firstClasses, k);
            var b = Rows(second, dimension, secondClasses, k);
            if (a.Count >= 2 && b.Count >= 2)
            {
                perClass[k] = FrechetDistance.Between(
                    FeatureStatistics.Of(a.Rows, a.Count, dimension),
                    FeatureStatistics.Of(b.Rows, b.Count, dimension));
            }
        }

        return perClass;
    }

    private static double Trace(FeatureStatistics stats)
    {
        double sum = 0;
        for (var i = 0; i < stats.Dimension; i++)
        {
            sum += stats.Covariance[i, i];
        }

        return sum;
    }

    private static (float[] Rows, int Count) Rows(ReadOnlySpan<float> features, int dimension, IReadOnlyList<int> classOf, int k)
    {
        if (features.Length != classOf.Count * dimension)
        {
            throw new ArgumentException($"{features.Length} feature values are not {classOf.Count} rows of {dimension}.");
        }

        var count = classOf.Count(c => c == k);
        var rows = new float[count * dimension];
        var at = 0;
        for (var r = 0; r < classOf.Count; r++)
        {
            if (classOf[r] == k)
            {
                features.Slice(r * dimension, dimension).CopyTo(rows.AsSpan(at * dimension, dimension));
                at++;
            }
        }

        return (rows, count);
    }
}
