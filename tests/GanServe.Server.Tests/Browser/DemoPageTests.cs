using System.Net;
using System.Text.RegularExpressions;
using GanServe.Server.Hosting;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Browser;

public sealed partial class DemoPageTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private readonly HttpClient _client = server.CreateClient();

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/index.html", "text/html")]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    [InlineData("/favicon.svg", "image/svg+xml")]
    public async Task DemoPage_PageAndAssets_ServedWithOwnOriginOnlyPolicy(string path, string mediaType)
    {
        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(DemoPage.ContentSecurityPolicy, policy);
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("*", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task DemoPage_Index_LinksDocsMetricsAndOnlyLocalAssets()
    {
        var html = await _client.GetStringAsync("/");

        Assert.Contains("href=\"/docs\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/metrics\"", html, StringComparison.Ordinal);
        Assert.Contains("src=\"/app.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/app.css")]
    public async Task DemoPage_Assets_ReferenceNoOtherHost(string path)
    {
        var text = await _client.GetStringAsync(path);

        Assert.DoesNotMatch(ExternalUrl(), text);
    }

    [Fact]
    public async Task DemoPage_ApiAnswers_CarryNoPagePolicy()
    {
        using var response = await _client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task DemoPage_UnknownAsset_Returns404Problem()
    {
        using var response = await _client.GetAsync("/nothing-here.js");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}
