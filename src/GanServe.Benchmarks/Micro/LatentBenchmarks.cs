using BenchmarkDotNet.Attributes;
using GanServe.Core.Latents;

namespace GanServe.Benchmarks.Micro;

/// <summary>Seed → latent: NumPy's legacy MT19937 + polar Gaussian for one 100-value latent, and truncation.</summary>
public class LatentBenchmarks
{
    private readonly float[] _latent = new float[100];
    private uint _seed;

    /// <summary>One seed's latent, written into an existing buffer.</summary>
    [Benchmark(Baseline = true)]
    public float SeedToLatent()
    {
        SeedLatents.Fill(unchecked(_seed++), _latent);
        return _latent[0];
    }

    /// <summary>One seed's latent into a new array, as the image endpoint does.</summary>
    [Benchmark]
    public float[] SeedToNewLatent() => SeedLatents.ForSeed(unchecked(_seed++), 100);

    /// <summary>Truncation (z' = psi z) of one latent.</summary>
    [Benchmark]
    public float Truncate()
    {
        SeedLatents.Truncate(_latent, 0.7f);
        return _latent[0];
    }
}
