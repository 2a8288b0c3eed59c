using System.Net;
using GanServe.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GanServe.Server.Tests.Interpolation;

public sealed class InterpolationApiTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private const string Grey = TestModelRepository.Grey;
    private const string Rgb = TestModelRepository.Rgb;
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task Interpolate_Gif_HasTheFramesAskedForAndLoops()
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/interpolate?from=1&to=2&frames=7");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=60", response.Headers.CacheControl?.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal("1", response.Headers.GetValues("X-GanServe-Model-Version").Single());
        using var gif = Image.Load<L8>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(7, gif.Frames.Count);
        Assert.Equal((28, 28), (gif.Width, gif.Height));
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
    }

    [Fact]
    public async Task Interpolate_Gif_FirstAndLastFramesEqualTheSeedsImages()
    {
        const string options = "truncation=0.7&scale=2";
        using var response = await _client.GetAsync($"/v1/models/{Grey}/interpolate?from=3&to=9&frames=5&{options}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var frames = GreyFrames(await response.Content.ReadAsByteArrayAsync());
        var first = await GreyImageAsync(Grey, 3, options);
        var last = await GreyImageAsync(Grey, 9, options);

        Assert.Equal(5, frames.Count);
        Assert.Equal(56 * 56, first.Length);
        Assert.Equal(first, frames[0]);
        Assert.Equal(last, frames[^1]);
        Assert.NotEqual(first, last);
        Assert.NotEqual(first, frames[2]);
        Assert.NotEqual(last, frames[2]);
    }

    [Fact]
    public async Task Interpolate_PngStrip_PutsFramesSideBySideWithTheSeedsImagesAtTheEnds()
    {
        using var response = await _client.GetAsync($"/v1/models/{Rgb}/interpolate?from=10&to=20&frames=4&format=png");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var (width, height, strip) = Images.Rgb(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((16 * 4, 16), (width, height));
        var first = Images.Rgb(await _client.GetByteArrayAsync($"/v1/models/{Rgb}/images/10.png")).Pixels;
        var last = Images.Rgb(await _client.GetByteArrayAsync($"/v1/models/{Rgb}/images/20.png")).Pixels;
        Assert.Equal(first, Cell(strip, width, 16, 3, 0));
        Assert.Equal(last, Cell(strip, width, 16, 3, 3));
        Assert.NotEqual(first, Cell(strip, width, 16, 3, 1));
    }

    [Fact]
    public async Task Interpolate_RgbGif_HasOneFullSizeFramePerLatent()
    {
        using var response = await _client.GetAsync($"/v1/models/{Rgb}/interpolate?from=10&to=20&frames=3&scale=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var gif = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(3, gif.Frames.Count);
        Assert.Equal((32, 32), (gif.Width, gif.Height));
    }

    [Fact]
    public async Task Interpolate_RgbGif_EndFramesAreTheSeedsImagesUpToQuantisation()
    {
        // A colour frame goes through one 256-entry colour table; the PNG strip is the exact form.
        using var response = await _client.GetAsync($"/v1/models/{Rgb}/interpolate?from=10&to=20&frames=3");

        using var gif = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        var first = Images.Rgb(await _client.GetByteArrayAsync($"/v1/models/{Rgb}/images/10.png")).Pixels;
        var last = Images.Rgb(await _client.GetByteArrayAsync($"/v1/models/{Rgb}/images/20.png")).Pixels;
        Assert.InRange(MeanDifference(first, RgbFrame(gif, 0)), 0, 2);
        Assert.InRange(MeanDifference(last, RgbFrame(gif, 2)), 0, 2);
        Assert.True(MeanDifference(last, RgbFrame(gif, 0)) > 4, "The first frame should not look like the last seed.");
    }

    [Fact]
    public async Task Interpolate_ManyFrames_RunThroughTheBatcherInPassesOfAtMostMaxBatchSize()
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/interpolate?from=5&to=6&frames=20&format=png");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sizes = response.Headers.GetValues("X-GanServe-Batch-Size").Single().Split(',').Select(int.Parse).ToList();
        Assert.True(sizes.Count >= 3, $"20 frames with MaxBatchSize 8 need at least 3 passes, got {string.Join(',', sizes)}.");
        Assert.All(sizes, size => Assert.InRange(size, 1, 8));
        Assert.True(sizes.Sum() >= 20);
    }

    [Fact]
    public async Task Interpolate_PinnedVersion_IsImmutable()
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/versions/1/interpolate?from=1&to=2&frames=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("immutable", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Interpolate_IfNoneMatchMatches_Returns304WithoutRunningTheModel()
    {
        const string path = $"/v1/models/{Grey}/interpolate?from=40&to=41&frames=6&truncation=0.5";
        using var first = await _client.GetAsync(path);
        var etag = first.Headers.ETag!;
        var imagesBefore = server.Factory.Catalog.Models[Grey].Versions[1].Telemetry.Snapshot().ImagesTotal;

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(imagesBefore, server.Factory.Catalog.Models[Grey].Versions[1].Telemetry.Snapshot().ImagesTotal);
    }

    [Fact]
    public async Task Interpolate_OtherOptions_GetOtherETags()
    {
        var tags = new List<string>();
        foreach (var query in new[] { "from=1&to=2", "from=2&to=1", "from=1&to=3", "from=1&to=2&frames=3", "from=1&to=2&format=png", "from=1&to=2&scale=2", "from=1&to=2&truncation=0.5" })
        {
            using var response = await _client.GetAsync($"/v1/models/{Grey}/interpolate?{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            tags.Add(response.Headers.ETag!.Tag);
        }

        using var image = await _client.GetAsync($"/v1/models/{Grey}/images/1.png");
        tags.Add(image.Headers.ETag!.Tag);
        Assert.Equal(tags.Count, tags.Distinct().Count());
    }

    [Theory]
    [InlineData("to=2", "from=A&to=B")]
    [InlineData("from=1", "from=A&to=B")]
    [InlineData("from=-1&to=2", "from must be")]
    [InlineData("from=1&to=4294967296", "to must be")]
    [InlineData("from=x&to=2", "from must be")]
    [InlineData("from=1&to=2&frames=1", "frames must be")]
    [InlineData("from=1&to=2&frames=121", "frames must be")]
    [InlineData("from=1&to=2&frames=abc", "Parameter 'frames' ('abc') must be a whole number.")]
    [InlineData("from=1&to=2&format=webp", "format")]
    [InlineData("from=1&to=2&truncation=0", "truncation")]
    [InlineData("from=1&to=2&truncation=0,5", "plain number")]
    [InlineData("from=1&to=2&scale=0", "scale")]
    [InlineData("from=1&to=2&scale=17", "scale")]
    [InlineData("from=1&to=2&frames=120&scale=4", "200000")]
    [InlineData("from=1&to=2&frames=120&scale=4&format=png", "200000")]
    public async Task Interpolate_BadInput_Returns400WithProblem(string query, string detailPart)
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/interpolate?{query}");

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", detailPart);
    }

    [Theory]
    [InlineData("/v1/models/unknown/interpolate?from=1&to=2", "no model")]
    [InlineData("/v1/models/grey/versions/2/interpolate?from=1&to=2", "no version")]
    public async Task Interpolate_UnknownModelOrVersion_Returns404(string path, string detailPart)
    {
        using var response = await _client.GetAsync(path);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound, "not-found", detailPart);
    }

    [Fact]
    public async Task Interpolate_BadTimeoutHeader_Returns400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Grey}/interpolate?from=1&to=2");
        request.Headers.Add("X-GanServe-Timeout", "soon");

        using var response = await _client.SendAsync(request);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", "X-GanServe-Timeout");
    }

    private async Task<byte[]> GreyImageAsync(string model, uint seed, string options) =>
        Images.Grey(await _client.GetByteArrayAsync($"/v1/models/{model}/images/{seed}.png?{options}")).Pixels;

    private static List<byte[]> GreyFrames(byte[] gif)
    {
        using var animation = Image.Load<L8>(gif);
        var frames = new List<byte[]>();
        for (var i = 0; i < animation.Frames.Count; i++)
        {
            using var frame = animation.Frames.CloneFrame(i);
            var pixels = new byte[frame.Width * frame.Height];
            frame.CopyPixelDataTo(pixels);
            frames.Add(pixels);
        }

        return frames;
    }

    private static double MeanDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
    }

    private static byte[] RgbFrame(Image<Rgb24> animation, int index)
    {
        using var frame = animation.Frames.CloneFrame(index);
        var pixels = new byte[frame.Width * frame.Height * 3];
        frame.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static byte[] Cell(byte[] strip, int stripWidth, int side, int channels, int index)
    {
        var cell = new byte[side * side * channels];
        for (var y = 0; y < side; y++)
        {
            strip.AsSpan(((y * stripWidth) + (index * side)) * channels, side * channels).CopyTo(cell.AsSpan(y * side * channels));
        }

        return cell;
    }
}
