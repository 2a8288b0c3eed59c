using System.Net;
using System.Net.Http.Headers;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Api;

public sealed class ImagesApiTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private const string Grey = TestModelRepository.Grey;
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task GetImage_Latest_ReturnsPngWithShortCacheAndStrongETag()
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/images/7.png");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=60", response.Headers.CacheControl?.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal("1", response.Headers.GetValues("X-GanServe-Batch-Size").Single());
        var (width, height, _) = Images.Grey(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((28, 28), (width, height));
    }

    [Fact]
    public async Task GetImage_PinnedVersion_IsImmutable()
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/versions/1/images/7.png");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cache = response.Headers.CacheControl!;
        Assert.True(cache.Public);
        Assert.Equal(TimeSpan.FromSeconds(31536000), cache.MaxAge);
        Assert.Contains("immutable", cache.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetImage_IfNoneMatchMatches_Returns304WithoutRunningTheModel()
    {
        using var first = await _client.GetAsync($"/v1/models/{Grey}/images/123.png?truncation=0.7&scale=2");
        var etag = first.Headers.ETag!;
        var imagesBefore = server.Factory.Catalog.Models[Grey].Versions[1].Telemetry.Snapshot().ImagesTotal;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Grey}/images/123.png?truncation=0.7&scale=2");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(imagesBefore, server.Factory.Catalog.Models[Grey].Versions[1].Telemetry.Snapshot().ImagesTotal);
    }

    [Fact]
    public async Task GetImage_OtherOptions_GetOtherETags()
    {
        var tags = new List<string>();
        foreach (var path in new[] { "5.png", "6.png", "5.png?scale=2", "5.png?truncation=0.5", "5.webp", "5.jpg" })
        {
            using var response = await _client.GetAsync($"/v1/models/{Grey}/images/{path}");
            tags.Add(response.Headers.ETag!.Tag);
        }

        using var jpeg = await _client.GetAsync($"/v1/models/{Grey}/images/5.jpeg");
        Assert.Equal(tags.Count, tags.Distinct().Count());
        Assert.Equal(tags[5], jpeg.Headers.ETag!.Tag);
    }

    [Theory]
    [InlineData("4294967296.png", "seed")]
    [InlineData("-1.png", "seed")]
    [InlineData("abc.png", "seed")]
    [InlineData("1.gif", "extension")]
    [InlineData("1.png?truncation=0", "truncation")]
    [InlineData("1.png?truncation=1.01", "truncation")]
    [InlineData("1.png?truncation=NaN", "truncation")]
    [InlineData("1.png?truncation=abc", "truncation")]
    [InlineData("1.png?truncation=0,1", "plain number")]
    [InlineData("1.png?truncation=1e-300", "truncation")]
    [InlineData("1.png?scale=0", "scale")]
    [InlineData("1.png?scale=17", "scale")]
    [InlineData("1.png?scale=1.5", "Parameter 'scale' ('1.5') must be a whole number.")]
    [InlineData("1.png?scale=abc", "Parameter 'scale' ('abc') must be a whole number.")]
    [InlineData("1.png?scale=16", "200000")]
    public async Task GetImage_BadInput_Returns400WithProblem(string path, string detailPart)
    {
        using var response = await _client.GetAsync($"/v1/models/{Grey}/images/{path}");

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", detailPart);
    }

    [Theory]
    [InlineData("/v1/models/unknown/images/1.png", "no model")]
    [InlineData("/v1/models/UPPER/images/1.png", "no model")]
    [InlineData("/v1/models/grey/versions/2/images/1.png", "no version")]
    [InlineData("/v1/models/grey/versions/01/images/1.png", "no version")]
    [InlineData("/v1/models/grey/versions/x/images/1.png", "no version")]
    public async Task GetImage_UnknownModelOrVersion_Returns404(string path, string detailPart)
    {
        using var response = await _client.GetAsync(path);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound, "not-found", detailPart);
    }

    [Fact]
    public async Task GetImage_AcceptOnlyImages_ErrorStillHasProblemBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Grey}/images/1.gif");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));

        using var response = await _client.SendAsync(request);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request");
    }
}
