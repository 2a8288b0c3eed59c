using System.Globalization;
using GanServe.Core.Imaging;
using GanServe.Server.Api;
using GanServe.Server.Inference;
using GanServe.Server.Models;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Api;

public sealed class ImageETagTests
{
    [Theory]
    [InlineData(0u, 1f, 1, ImageFormat.Png)]
    [InlineData(4294967295u, 0.7f, 16, ImageFormat.Webp)]
    [InlineData(123u, 0.1f, 3, ImageFormat.Jpeg)]
    [InlineData(5u, 1e-7f, 2, ImageFormat.Png)]
    [InlineData(77u, 0.33333334f, 1, ImageFormat.Jpeg)]
    public void ETagFor_Seed_EqualsTheTagOfTheKeyText(uint seed, float psi, int scale, ImageFormat format)
    {
        var instance = LoadedInstance();
        var fromText = ImagesApi.ETagFor(instance, string.Create(CultureInfo.InvariantCulture, $"{seed}\n{psi:R}\n{scale}\n{ImageFormats.Extension(format)}"));

        var tag = ImagesApi.ETagFor(instance, seed, psi, scale, format);

        Assert.Equal(fromText.Tag.Value, tag.Tag.Value);
        Assert.False(tag.IsWeak);
    }

    [Fact]
    public void ETagFor_Seed_IsTheHashOfNameVersionFileProviderAndOptions()
    {
        // SHA-256 of "fashion-dcgan\n1\nabc123\nFAKE\n42\n0.7\n2\npng", first 16 bytes: the tag clients already cache.
        var tag = ImagesApi.ETagFor(LoadedInstance(), 42, 0.7f, 2, ImageFormat.Png);

        Assert.Equal("\"d81b7e06241f56e7fa0918fa69509d4c\"", tag.Tag.Value);
    }

    [Fact]
    public void ETagFor_BeforeTheGeneratorLoads_DiffersFromAfter()
    {
        var instance = NewInstance();
        var before = ImagesApi.ETagFor(instance, 42, 0.7f, 2, ImageFormat.Png);

        instance.Loaded(new FakeGenerator(4, new ImageShape(1, 2, 2)));
        var after = ImagesApi.ETagFor(instance, 42, 0.7f, 2, ImageFormat.Png);

        Assert.NotEqual(before.Tag.Value, after.Tag.Value);
        Assert.Equal("\"d81b7e06241f56e7fa0918fa69509d4c\"", after.Tag.Value);
    }

    private static ModelInstance NewInstance() =>
        new("fashion-dcgan", 1, "/models/fashion-dcgan/1/model.onnx", "abc123", TestTelemetry.Metrics(TimeProvider.System).For("fashion-dcgan"), new ServingState());

    private static ModelInstance LoadedInstance()
    {
        var instance = NewInstance();
        instance.Loaded(new FakeGenerator(4, new ImageShape(1, 2, 2)));
        return instance;
    }
}
