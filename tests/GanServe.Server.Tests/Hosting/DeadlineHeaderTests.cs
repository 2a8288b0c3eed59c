using GanServe.Server.Api;
using GanServe.Server.Configuration;
using Microsoft.AspNetCore.Http;

namespace GanServe.Server.Tests.Hosting;

/// <summary><c>X-GanServe-Timeout</c>: milliseconds, capped by <c>MaxTimeout</c>, anything else a 400.</summary>
public sealed class DeadlineHeaderTests
{
    private static readonly RequestOptions Limits = new() { DefaultTimeout = TimeSpan.FromSeconds(10), MaxTimeout = TimeSpan.FromSeconds(60) };

    [Theory]
    [InlineData(null, 10_000)]
    [InlineData("250", 250)]
    [InlineData("0250", 250)]
    [InlineData("59999", 59_999)]
    [InlineData("60000", 60_000)]
    [InlineData("60001", 60_000)]
    [InlineData("999999999", 60_000)]
    [InlineData("99999999999999999999999", 60_000)]
    public void TryGetTimeout_WholeMilliseconds_IsThatCappedByMaxTimeout(string? header, int expectedMs)
    {
        var request = Request(header);

        var ok = GenerationSupport.TryGetTimeout(request, Limits, out var timeout, out var error);

        Assert.True(ok, error);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), timeout);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0")]
    [InlineData("000")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData(" 100")]
    [InlineData("")]
    [InlineData("١٠٠")]
    public void TryGetTimeout_NotAPositiveWholeNumber_IsAnErrorNamingTheHeader(string header)
    {
        var ok = GenerationSupport.TryGetTimeout(Request(header), Limits, out _, out var error);

        Assert.False(ok);
        Assert.Contains("X-GanServe-Timeout", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetTimeout_TwoValues_IsAnError()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers["X-GanServe-Timeout"] = new Microsoft.Extensions.Primitives.StringValues(["100", "200"]);

        Assert.False(GenerationSupport.TryGetTimeout(request, Limits, out _, out var error));
        Assert.Contains("positive whole number", error, StringComparison.Ordinal);
    }

    private static HttpRequest Request(string? header)
    {
        var request = new DefaultHttpContext().Request;
        if (header is not null)
        {
            request.Headers["X-GanServe-Timeout"] = header;
        }

        return request;
    }
}
