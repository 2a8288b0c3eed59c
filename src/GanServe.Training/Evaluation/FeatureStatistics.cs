namespace GanServe.Training.Evaluation;

/// <summary>Mean and covariance of a set of feature vectors, in double precision.</summary>
public sealed class FeatureStatistics
{
    /// <summary>Wraps a mean and a covariance matrix of matching size.</summary>
    public FeatureStatistics(double[] mean, double[,] covariance, int count)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        if (covariance.GetLength(0) != mean.Length || covariance.GetLength(1) != mean.Length)
        {
            throw new ArgumentException($"A mean of length {mean.Length} needs a {mean.Length}×{mean.Length} covariance, got {covariance.GetLength(0)}×{covariance.GetLength(1)}.");
        }

        Mean = mean;
        Covariance = covariance;
        Count = count;
    }

    /// <summary>Mean vector.</summary>
    public double[] Mean { get; }

    /// <summary>Covariance matrix (unbiased, divided by count − 1).</summary>
    public double[,] Covariance { get; }

    /// <summary>Number of vectors the statistics came from.</summary>
    public int Count { get; }

    /// <summary>Dimension of the vectors.</summary>
    public int Dimension => Mean.Length;

    /// <summary>
    /// Statistics of <paramref name="count"/> vectors of length <paramref name="dimension"/> stored row after row;
    /// the covariance is centred first (two passes), which avoids the cancellation of the one-pass formula.
    /// </summary>
    public static FeatureStatistics Of(ReadOnlySpan<float> rows, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (rows.Length != (long)count * dimension)
        {
            throw new ArgumentException($"{rows.Length} values are not {count} vectors of {dimension}.", nameof(rows));
        }

        var mean = new double[dimension];
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (var i = 0; i < dimension; i++)
            {
                mean[i] += row[i];
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            mean[i] /= count;
        }

        var sums = new double[dimension, dimension];
        var centred = new double[dimension];
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (var i = 0; i < dimension; i++)
            {
                centred[i] = row[i] - mean[i];
            }

            for (var i = 0; i < dimension; i++)
            {
                var ci = centred[i];
                if (ci == 0)
                {
                    continue; // ReLU features are often exactly zero
                }

                for (var j = i; j < dimension; j++)
                {
                    sums[i, j] += ci * centred[j];
                }
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            for (var j = i; j < dimension; j++)
            {
                var value = sums[i, j] / (count - 1);
                sums[i, j] = value;
                sums[j, i] = value;
            }
        }

        return new FeatureStatistics(mean, sums, count);
    }
}
