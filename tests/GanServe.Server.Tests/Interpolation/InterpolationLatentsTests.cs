using GanServe.Core.Latents;
using GanServe.Server.Api;

namespace GanServe.Server.Tests.Interpolation;

public sealed class InterpolationLatentsTests
{
    [Fact]
    public void Slerp_SeedLatents_StartsAndEndsAtThemExactly()
    {
        var from = SeedLatents.ForSeed(3, 100);
        var to = SeedLatents.ForSeed(9, 100);

        var path = InterpolationLatents.Slerp(from, to, 5);

        Assert.Equal(500, path.Length);
        Assert.Equal(from, path[..100]);
        Assert.Equal(to, path[400..]);
    }

    [Fact]
    public void Slerp_OrthogonalUnitVectors_FollowsTheCircle()
    {
        var path = InterpolationLatents.Slerp([1f, 0f], [0f, 1f], 3);

        Assert.Equal(MathF.Sqrt(0.5f), path[2], 1e-6f);
        Assert.Equal(MathF.Sqrt(0.5f), path[3], 1e-6f);
    }

    [Fact]
    public void Slerp_SeedLatents_KeepsTheNormWhereALineWouldShrinkIt()
    {
        var from = SeedLatents.ForSeed(1, 512);
        var to = SeedLatents.ForSeed(2, 512);

        var middle = InterpolationLatents.Slerp(from, to, 3).AsSpan(512, 512).ToArray();

        var ends = (Norm(from) + Norm(to)) / 2;
        var line = Norm(from.Zip(to, (a, b) => (a + b) / 2).ToArray());
        Assert.InRange(Norm(middle), ends * 0.98, ends * 1.02);
        Assert.True(line < ends * 0.8, $"A straight line's middle should be shorter ({line} vs {ends}).");
    }

    [Fact]
    public void Slerp_IdenticalLatents_GivesTheSameLatentEveryFrame()
    {
        var latent = SeedLatents.ForSeed(7, 16);

        var path = InterpolationLatents.Slerp(latent, latent, 4);

        Assert.All(path.Chunk(16), frame => Assert.Equal(latent, frame));
    }

    private static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
}
