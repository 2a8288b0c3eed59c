namespace GanServe.Training.Evaluation;

/// <summary>How generated images spread over the classifier's classes, and how sure the classifier is of them.</summary>
/// <param name="Shares">Share of images whose largest logit is each class, in label order; sums to 1.</param>
/// <param name="ClassesUnderFivePercent">Classes with a share below 5 % (a sign of mode dropping).</param>
/// <param name="KlFromUniform">KL(shares ‖ uniform) in nats: 0 for a perfectly even spread, ln(classes) for one class only.</param>
/// <param name="MeanConfidence">Mean over images of the largest softmax probability.</param>
public sealed record ClassShares(double[] Shares, int ClassesUnderFivePercent, double KlFromUniform, double MeanConfidence)
{
    /// <summary>The share below which a class counts as nearly missing.</summary>
    public const double RareShare = 0.05;

    /// <summary>Computes the figures from row-major logits [count, classes].</summary>
    public static ClassShares FromLogits(ReadOnlySpan<float> logits, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (logits.Length == 0 || logits.Length % classes != 0)
        {
            throw new ArgumentException($"{logits.Length} logits are not a whole number of rows of {classes}.", nameof(logits));
        }

        var count = logits.Length / classes;
        var counts = new long[classes];
        double confidence = 0;
        for (var r = 0; r < count; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var best = Largest(row);

            // max softmax probability = 1 / Σ exp(z_k − z_max), stable for any logit size.
            double sum = 0;
            for (var k = 0; k < classes; k++)
            {
                sum += Math.Exp((double)row[k] - row[best]);
            }

            counts[best]++;
            confidence += 1 / sum;
        }

        var shares = counts.Select(c => (double)c / count).ToArray();
        var kl = shares.Where(p => p > 0).Sum(p => p * Math.Log(p * classes));
        return new ClassShares(shares, shares.Count(p => p < RareShare), kl, confidence / count);
    }

    /// <summary>The class of each row's largest logit (the first on ties), from row-major logits [count, classes].</summary>
    public static int[] Predictions(ReadOnlySpan<float> logits, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (logits.Length % classes != 0)
        {
            throw new ArgumentException($"{logits.Length} logits are not a whole number of rows of {classes}.", nameof(logits));
        }

        var predictions = new int[logits.Length / classes];
        for (var r = 0; r < predictions.Length; r++)
        {
            predictions[r] = Largest(logits.Slice(r * classes, classes));
        }

        return predictions;
    }

    private static int Largest(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var k = 1; k < row.Length; k++)
        {
            if (row[k] > row[best])
            {
                best = k;
            }
        }

        return best;
    }
}
