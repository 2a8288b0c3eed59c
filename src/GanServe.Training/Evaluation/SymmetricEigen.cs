namespace GanServe.Training.Evaluation;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method: plane rotations that each zero
/// one off-diagonal pair, swept over all pairs until the off-diagonal mass is negligible.
/// </summary>
/// <remarks>
/// Jacobi is slower than tridiagonal QL for large matrices but simple, unconditionally stable and accurate to a few
/// units of rounding even for tiny eigenvalues, which is what matters for covariance square roots; 128×128 takes a
/// fraction of a second.
/// </remarks>
public sealed class SymmetricEigen
{
    private const int MaxSweeps = 100;

    private SymmetricEigen(double[] values, double[,] vectors)
    {
        Values = values;
        Vectors = vectors;
    }

    /// <summary>Eigenvalues in ascending order.</summary>
    public double[] Values { get; }

    /// <summary>Eigenvectors as columns, in the order of <see cref="Values"/>: A = V diag(λ) Vᵀ.</summary>
    public double[,] Vectors { get; }

    /// <summary>Decomposes <paramref name="matrix"/>, which must be square and symmetric (to within rounding).</summary>
    public static SymmetricEigen Decompose(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n)
        {
            throw new ArgumentException($"The matrix is {n}×{matrix.GetLength(1)}, not square.", nameof(matrix));
        }

        // Row-major working copies: a is the matrix being diagonalised, v accumulates the rotations (columns).
        var a = new double[n * n];
        var v = new double[n * n];
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
            for (var j = 0; j < n; j++)
            {
                var x = matrix[i, j];
                if (!double.IsFinite(x))
                {
                    throw new ArgumentException($"The matrix holds a non-finite value at [{i}, {j}].", nameof(matrix));
                }

                if (Math.Abs(x - matrix[j, i]) > 1e-9 * (Math.Abs(x) + Math.Abs(matrix[j, i]) + 1e-300))
                {
                    throw new ArgumentException($"The matrix is not symmetric at [{i}, {j}].", nameof(matrix));
                }

                a[(i * n) + j] = x;
                total += x * x;
            }
        }

        // Stop when the off-diagonal part is below rounding level relative to the whole matrix.
        var threshold = 1e-26 * total;
        var converged = n < 2 || total == 0;
        for (var sweep = 0; sweep < MaxSweeps && !converged; sweep++)
        {
            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    Rotate(a, v, n, p, q);
                }
            }

            converged = OffDiagonal(a, n) <= threshold;
        }

        if (!converged)
        {
            throw new InvalidOperationException($"Jacobi did not converge in {MaxSweeps} sweeps.");
        }

        var order = Enumerable.Range(0, n).OrderBy(i => a[(i * n) + i]).ToArray();
        var values = new double[n];
        var vectors = new double[n, n];
        for (var k = 0; k < n; k++)
        {
            values[k] = a[(order[k] * n) + order[k]];
            for (var i = 0; i < n; i++)
            {
                vectors[i, k] = v[(i * n) + order[k]];
            }
        }

        return new SymmetricEigen(values, vectors);
    }

    /// <summary>
    /// V f(Λ) Vᵀ with f applied to each eigenvalue (e.g. the square root of a covariance matrix, with tiny negative
    /// eigenvalues from rounding clamped first).
    /// </summary>
    public double[,] Reconstruct(Func<double, double> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var n = Values.Length;
        var f = Values.Select(function).ToArray();
        var result = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++)
                {
                    sum += Vectors[i, k] * f[k] * Vectors[j, k];
                }

                result[i, j] = sum;
                result[j, i] = sum;
            }
        }

        return result;
    }

    /// <summary>
    /// One Jacobi rotation in the (p, q) plane, Aʹ = Jᵀ A J, chosen so that aʹ[p, q] = 0; V accumulates J. Symmetry is
    /// kept by construction: only row and column p and q change, and each new value is written to both halves.
    /// </summary>
    private static void Rotate(double[] a, double[] v, int n, int p, int q)
    {
        var apq = a[(p * n) + q];
        if (apq == 0)
        {
            return;
        }

        // θ = cot 2φ; t = tan φ is the smaller root of t² + 2θt − 1 = 0, which keeps the rotation angle ≤ π/4.
        var app = a[(p * n) + p];
        var aqq = a[(q * n) + q];
        var theta = (aqq - app) / (2 * apq);
        var t = (theta >= 0 ? 1.0 : -1.0) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
        var c = 1 / Math.Sqrt((t * t) + 1);
        var s = t * c;
        for (var k = 0; k < n; k++)
        {
            if (k == p || k == q)
            {
                continue;
            }

            var akp = a[(k * n) + p];
            var akq = a[(k * n) + q];
            var newKp = (c * akp) - (s * akq);
            var newKq = (s * akp) + (c * akq);
            a[(k * n) + p] = newKp;
            a[(p * n) + k] = newKp;
            a[(k * n) + q] = newKq;
            a[(q * n) + k] = newKq;
        }

        a[(p * n) + p] = app - (t * apq);
        a[(q * n) + q] = aqq + (t * apq);
        a[(p * n) + q] = 0;
        a[(q * n) + p] = 0;
        for (var k = 0; k < n; k++)
        {
            var vkp = v[(k * n) + p];
            var vkq = v[(k * n) + q];
            v[(k * n) + p] = (c * vkp) - (s * vkq);
            v[(k * n) + q] = (s * vkp) + (c * vkq);
        }
    }

    private static double OffDiagonal(double[] a, int n)
    {
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i != j)
                {
                    sum += a[(i * n) + j] * a[(i * n) + j];
                }
            }
        }

        return sum;
    }
}
