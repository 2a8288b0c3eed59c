namespace GanServe.Training.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians N(μ1, Σ1) and N(μ2, Σ2):
/// ||μ1 − μ2||² + Tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½), the squared 2-Wasserstein distance that FID reports.
/// </summary>
/// <remarks>
/// Tr((Σ1 Σ2)^½) is computed as the sum of the square roots of the eigenvalues of the symmetric positive
/// semi-definite Σ1^½ Σ2 Σ1^½ (which has the same eigenvalues as Σ1 Σ2), so no non-symmetric matrix square root and
/// no complex arithmetic are needed. Eigenvalues that rounding pushes slightly below zero are clamped to zero.
/// </remarks>
public static class FrechetDistance
{
    /// <summary>The distance between the Gaussians fitted to two feature sets.</summary>
    public static double Between(FeatureStatistics first, FeatureStatistics second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return Between(first.Mean, first.Covariance, second.Mean, second.Covariance);
    }

    /// <summary>The distance between N(<paramref name="mean1"/>, <paramref name="cov1"/>) and N(<paramref name="mean2"/>, <paramref name="cov2"/>).</summary>
    public static double Between(double[] mean1, double[,] cov1, double[] mean2, double[,] cov2)
    {
        ArgumentNullException.ThrowIfNull(mean1);
        ArgumentNullException.ThrowIfNull(cov1);
        ArgumentNullException.ThrowIfNull(mean2);
        ArgumentNullException.ThrowIfNull(cov2);
        var n = mean1.Length;
        if (mean2.Length != n || cov1.GetLength(0) != n || cov1.GetLength(1) != n || cov2.GetLength(0) != n || cov2.GetLength(1) != n)
        {
            throw new ArgumentException($"Means and covariances must all have dimension {n}.");
        }

        double meanTerm = 0;
        for (var i = 0; i < n; i++)
        {
            var d = mean1[i] - mean2[i];
            meanTerm += d * d;
        }

        double traces = 0;
        for (var i = 0; i < n; i++)
        {
            traces += cov1[i, i] + cov2[i, i];
        }

        return Math.Max(0, meanTerm + traces - (2 * TraceSqrtProduct(cov1, cov2)));
    }

    /// <summary>Tr((Σ1 Σ2)^½) = Σ √λ over the eigenvalues λ of Σ1^½ Σ2 Σ1^½.</summary>
    public static double TraceSqrtProduct(double[,] cov1, double[,] cov2)
    {
        ArgumentNullException.ThrowIfNull(cov1);
        ArgumentNullException.ThrowIfNull(cov2);
        var root = SymmetricEigen.Decompose(cov1).Reconstruct(l => Math.Sqrt(Math.Max(l, 0)));
        var product = Multiply(Multiply(root, cov2), root);
        var n = product.GetLength(0);

        // Rounding leaves the product a hair off symmetric; average it with its transpose.
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var mean = 0.5 * (product[i, j] + product[j, i]);
                product[i, j] = mean;
                product[j, i] = mean;
            }
        }

        return SymmetricEigen.Decompose(product).Values.Sum(l => Math.Sqrt(Math.Max(l, 0)));
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int rows = a.GetLength(0), inner = a.GetLength(1), columns = b.GetLength(1);
        var result = new double[rows, columns];
        for (var i = 0; i < rows; i++)
        {
            for (var k = 0; k < inner; k++)
            {
                var aik = a[i, k];
                if (aik == 0)
                {
                    continue;
                }

                for (var j = 0; j < columns; j++)
                {
                    result[i, j] += aik * b[k, j];
                }
            }
        }

        return result;
    }
}
