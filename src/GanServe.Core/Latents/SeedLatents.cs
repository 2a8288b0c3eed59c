namespace GanServe.Core.Latents;

/// <summary>
/// The seed convention: a seed's latent is <c>numpy.random.RandomState(seed).standard_normal(d)</c>
/// rounded to float32.
/// </summary>
public static class SeedLatents
{
    [ThreadStatic]
    private static LegacyNormalRandom? _threadRandom;

    /// <summary>Writes the latent of <paramref name="seed"/> into <paramref name="destination"/> (its length is the latent size).</summary>
    public static void Fill(uint seed, Span<float> destination)
    {
        // One generator per thread, reseeded: a new one would allocate its 2.5 KB state for every seed.
        var random = _threadRandom ??= new LegacyNormalRandom(seed);
        random.Reseed(seed);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)random.NextGaussian();
        }
    }

    /// <summary>Returns the latent of <paramref name="seed"/> as a new array of <paramref name="latentDim"/> values.</summary>
    public static float[] ForSeed(uint seed, int latentDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(latentDim);
        var latent = new float[latentDim];
        Fill(seed, latent);
        return latent;
    }

    /// <summary>Scales a latent toward the mean (zero): z' = psi * z.</summary>
    public static void Truncate(Span<float> latent, float psi)
    {
        if (psi == 1f)
        {
            return;
        }

        for (var i = 0; i < latent.Length; i++)
        {
            latent[i] *= psi;
        }
    }
}
