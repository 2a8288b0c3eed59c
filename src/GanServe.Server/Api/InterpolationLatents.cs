namespace GanServe.Server.Api;

/// <summary>
/// Spherical interpolation (slerp) between two latents: the path keeps the norm a Gaussian latent typically
/// has, where a straight line would pass through the low-norm middle the generator rarely saw in training.
/// </summary>
internal static class InterpolationLatents
{
    /// <summary>
    /// <paramref name="frames"/> latents from <paramref name="from"/> to <paramref name="to"/>, written one after
    /// another; the first and last are the two latents exactly. Nearly parallel latents fall back to a straight line.
    /// </summary>
    public static float[] Slerp(ReadOnlySpan<float> from, ReadOnlySpan<float> to, int frames)
    {
        if (from.Length != to.Length)
        {
            throw new ArgumentException("Both latents must have the same length.", nameof(to));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 2);
        var dim = from.Length;
        double dot = 0, fromNorm = 0, toNorm = 0;
        for (var i = 0; i < dim; i++)
        {
            dot += (double)from[i] * to[i];
            fromNorm += (double)from[i] * from[i];
            toNorm += (double)to[i] * to[i];
        }

        var cosine = fromNorm > 0 && toNorm > 0 ? Math.Clamp(dot / Math.Sqrt(fromNorm * toNorm), -1.0, 1.0) : 1.0;
        var omega = Math.Acos(cosine);
        var sinOmega = Math.Sin(omega);
        var result = new float[frames * dim];
        from.CopyTo(result);
        to.CopyTo(result.AsSpan((frames - 1) * dim));
        for (var f = 1; f < frames - 1; f++)
        {
            var t = (double)f / (frames - 1);
            double a, b;
            if (sinOmega < 1e-6)
            {
                a = 1 - t;
                b = t;
            }
            else
            {
                a = Math.Sin((1 - t) * omega) / sinOmega;
                b = Math.Sin(t * omega) / sinOmega;
            }

            var row = result.AsSpan(f * dim, dim);
            for (var i = 0; i < dim; i++)
            {
                row[i] = (float)((a * from[i]) + (b * to[i]));
            }
        }

        return result;
    }
}
