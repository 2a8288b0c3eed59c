using GanServe.Training.Evaluation;

namespace GanServe.Training.Tests;

public sealed class SymmetricEigenTests
{
    [Fact]
    public void Decompose_TwoByTwo_GivesOneAndThree()
    {
        var eigen = SymmetricEigen.Decompose(new double[,] { { 2, 1 }, { 1, 2 } });

        Assert.Equal(1, eigen.Values[0], 1e-14);
        Assert.Equal(3, eigen.Values[1], 1e-14);
        Assert.Equal(Math.Abs(eigen.Vectors[0, 1]), Math.Sqrt(0.5), 1e-14);
    }

    [Fact]
    public void Decompose_RotatedDiagonalMatrix_RecoversItsEigenvaluesAndVectors()
    {
        // A = H diag(λ) H with H = I − 2 u uᵀ / uᵀu, a reflection, so A's eigenvalues are exactly λ.
        double[] lambda = [5, -2, 0.5, 3, 0, 1];
        double[] u = [1, -2, 0.5, 3, 1.5, -1];
        var n = lambda.Length;
        var uu = u.Sum(x => x * x);
        var h = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                h[i, j] = (i == j ? 1 : 0) - (2 * u[i] * u[j] / uu);
            }
        }

        var a = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var k = 0; k < n; k++)
                {
                    a[i, j] += h[i, k] * lambda[k] * h[j, k];
                }
            }
        }

        var eigen = SymmetricEigen.Decompose(a);

        Assert.Equal(lambda.Order().ToArray(), eigen.Values.Select(v => Math.Round(v, 12)).ToArray());
        for (var k = 0; k < n; k++)
        {
            for (var i = 0; i < n; i++)
            {
                double av = 0;
                for (var j = 0; j < n; j++)
                {
                    av += a[i, j] * eigen.Vectors[j, k];
                }

                Assert.Equal(eigen.Values[k] * eigen.Vectors[i, k], av, 1e-12);
            }
        }

        var rebuilt = eigen.Reconstruct(l => l);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                Assert.Equal(a[i, j], rebuilt[i, j], 1e-12);
            }
        }
    }

    [Fact]
    public void Decompose_NonSymmetricMatrix_Throws()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[,] { { 1, 2 }, { 0, 1 } }));
    }
}

public sealed class FrechetDistanceTests
{
    [Fact]
    public void Statistics_HandMadeRows_GiveMeanAndUnbiasedCovariance()
    {
        float[] rows = [1, 2, 3, 6, 5, 7];

        var stats = FeatureStatistics.Of(rows, 3, 2);

        Assert.Equal([3.0, 5.0], stats.Mean);
        Assert.Equal(4, stats.Covariance[0, 0], 1e-12);
        Assert.Equal(7, stats.Covariance[1, 1], 1e-12);
        Assert.Equal(5, stats.Covariance[0, 1], 1e-12);
        Assert.Equal(5, stats.Covariance[1, 0], 1e-12);
    }

    [Fact]
    public void Between_IdenticalFeatureSets_IsZero()
    {
        var stats = FeatureStatistics.Of(RandomRows(500, 16, seed: 1), 500, 16);

        Assert.InRange(FrechetDistance.Between(stats, stats), 0, 1e-9);
    }

    [Fact]
    public void Between_ShiftedCopyOfASet_IsTheSquaredShift()
    {
        // Same covariance (correlated, full rank): only ||μ1 − μ2||² remains.
        const int Count = 400, Dim = 12;
        var rows = RandomRows(Count, Dim, seed: 2);
        var shifted = rows.Select((v, i) => v + (0.25f * (i % Dim))).ToArray();
        var expected = Enumerable.Range(0, Dim).Sum(i => Math.Pow(0.25 * i, 2));

        var distance = FrechetDistance.Between(FeatureStatistics.Of(rows, Count, Dim), FeatureStatistics.Of(shifted, Count, Dim));

        Assert.Equal(expected, distance, 1e-4);
    }

    [Fact]
    public void Between_DiagonalGaussians_MatchesClosedForm()
    {
        double[] mean1 = [1, 2, 3], mean2 = [0, 2, 5];
        double[] var1 = [4, 1, 9], var2 = [1, 1, 2.25];

        var distance = FrechetDistance.Between(mean1, Diagonal(var1), mean2, Diagonal(var2));

        // ||Δμ||² + Σ (σ1 − σ2)² = (1 + 0 + 4) + ((2 − 1)² + 0 + (3 − 1.5)²)
        Assert.Equal(5 + 3.25, distance, 1e-12);
    }

    [Fact]
    public void Between_CorrelatedTwoByTwo_MatchesTheTwoByTwoSquareRootFormula()
    {
        double[] mean1 = [0.5, -1], mean2 = [1.5, 0];
        var cov1 = new double[,] { { 2, 0.6 }, { 0.6, 1 } };
        var cov2 = new double[,] { { 1, -0.3 }, { -0.3, 0.5 } };

        // For 2×2 matrices with eigenvalues a, b ≥ 0: Tr √(Σ1Σ2) = √a + √b = √(Tr(Σ1Σ2) + 2√det(Σ1Σ2)).
        var traceProduct = (cov1[0, 0] * cov2[0, 0]) + (cov1[0, 1] * cov2[1, 0]) + (cov1[1, 0] * cov2[0, 1]) + (cov1[1, 1] * cov2[1, 1]);
        var det = ((cov1[0, 0] * cov1[1, 1]) - (cov1[0, 1] * cov1[1, 0])) * ((cov2[0, 0] * cov2[1, 1]) - (cov2[0, 1] * cov2[1, 0]));
        var expected = 1 + 1 + 3 + 1.5 - (2 * Math.Sqrt(traceProduct + (2 * Math.Sqrt(det))));

        var distance = FrechetDistance.Between(mean1, cov1, mean2, cov2);

        Assert.Equal(expected, distance, 1e-12);
    }

    [Fact]
    public void Between_FewerSamplesThanDimensions_IsFiniteAndSymmetric()
    {
        // Singular covariances (rank < dimension), as with a small test split: eigenvalue clamping keeps it real. The
        // square roots of eigenvalues at rounding level (~1e-16) are ~1e-8, so the two orders agree to about 1e-7.
        const int Count = 64, Dim = 128;
        var first = FeatureStatistics.Of(RandomRows(Count, Dim, seed: 3), Count, Dim);
        var second = FeatureStatistics.Of(RandomRows(Count, Dim, seed: 4), Count, Dim);

        var forward = FrechetDistance.Between(first, second);
        var backward = FrechetDistance.Between(second, first);

        Assert.True(double.IsFinite(forward) && forward > 0);
        Assert.Equal(forward, backward, forward * 1e-6);
    }

    private static double[,] Diagonal(double[] values)
    {
        var m = new double[values.Length, values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            m[i, i] = values[i];
        }

        return m;
    }

    /// <summary>Correlated, non-negative rows (like ReLU features): mixtures of a few shared factors plus noise.</summary>
    private static float[] RandomRows(int count, int dim, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * dim];
        for (var r = 0; r < count; r++)
        {
            var f1 = random.NextDouble();
            var f2 = random.NextDouble();
            for (var i = 0; i < dim; i++)
            {
                rows[(r * dim) + i] = (float)Math.Max(0, (f1 * Math.Sin(i)) + (f2 * Math.Cos(0.5 * i)) + (0.3 * random.NextDouble()));
            }
        }

        return rows;
    }
}

public sealed class ClassSharesTests
{
    [Fact]
    public void FromLogits_HandMadeRows_GiveSharesRareClassesKlAndConfidence()
    {
        // 20 images: 10 of class 0, 5 of class 1, 4 of class 2, 1 of class 3. A row with logit L at its class and
        // 0 elsewhere has max softmax e^L / (e^L + 9): ln 9 gives 0.5, ln 27 gives 0.75.
        int[] labels = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 5), .. Enumerable.Repeat(2, 4), 3];
        var logits = new float[labels.Length * 10];
        for (var r = 0; r < labels.Length; r++)
        {
            logits[(r * 10) + labels[r]] = (float)Math.Log(r % 2 == 0 ? 9 : 27);
        }

        var shares = ClassShares.FromLogits(logits, 10);

        Assert.Equal([0.5, 0.25, 0.2, 0.05, 0, 0, 0, 0, 0, 0], shares.Shares);
        Assert.Equal(6, shares.ClassesUnderFivePercent); // exactly 5 % is not under
        var kl = (0.5 * Math.Log(5)) + (0.25 * Math.Log(2.5)) + (0.2 * Math.Log(2)) + (0.05 * Math.Log(0.5));
        Assert.Equal(kl, shares.KlFromUniform, 1e-12);
        Assert.Equal(0.625, shares.MeanConfidence, 1e-6);
    }

    [Fact]
    public void FromLogits_EvenSpread_HasZeroKl_AndOneClassHasLnTen()
    {
        var even = new float[100 * 10];
        var single = new float[100 * 10];
        for (var r = 0; r < 100; r++)
        {
            even[(r * 10) + (r % 10)] = 5;
            single[(r * 10) + 4] = 5;
        }

        var spread = ClassShares.FromLogits(even, 10);
        var collapsed = ClassShares.FromLogits(single, 10);

        Assert.Equal(0, spread.KlFromUniform, 1e-12);
        Assert.Equal(0, spread.ClassesUnderFivePercent);
        Assert.Equal(Math.Log(10), collapsed.KlFromUniform, 1e-12);
        Assert.Equal(9, collapsed.ClassesUnderFivePercent);
    }
}
