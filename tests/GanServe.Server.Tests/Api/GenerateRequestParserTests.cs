using System.Text;
using GanServe.Server.Api;
using GanServe.Server.Configuration;

namespace GanServe.Server.Tests.Api;

/// <summary>The body parser's edge cases, without HTTP.</summary>
public sealed class GenerateRequestParserTests
{
    private static readonly RequestOptions Limits = new();

    [Theory]
    [InlineData("[1.0, 4.2e1, 4294967295.0]")]
    [InlineData("[1, 42, 4294967295]")]
    public void Parse_IntegralSeedsInAnyJsonForm_AreTheSameSeeds(string seeds)
    {
        var request = Parse($"{{\"seeds\":{seeds}}}", out var error);

        Assert.Null(error);
        Assert.Equal([1u, 42u, 4294967295u], request!.Seeds!);
    }

    [Fact]
    public void Parse_BodyWithUtf8ByteOrderMark_IsAccepted()
    {
        var json = (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"seeds\":[7]}")];

        var request = GenerateRequestParser.Parse(json, 4, Limits, out var error);

        Assert.Null(error);
        Assert.Equal([7u], request!.Seeds!);
    }

    [Fact]
    public void Parse_LatentRoundingToFloatMax_IsAcceptedAndOneBeyondIsNot()
    {
        var ok = Parse("{\"latents\":[[3.4028235e38,0,0,-3.4028235e38]]}", out var okError);
        var bad = Parse("{\"latents\":[[3.5e38,0,0,0]]}", out var badError);

        Assert.Null(okError);
        Assert.Equal([float.MaxValue, 0f, 0f, float.MinValue], ok!.Latents!);
        Assert.Null(bad);
        Assert.Contains("not a finite float32", badError, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncationThatRoundsToZero_IsRejected()
    {
        var request = Parse("{\"seeds\":[1],\"truncation\":1e-46}", out var error);

        Assert.Null(request);
        Assert.Contains("truncation must be greater than 0", error, StringComparison.Ordinal);
    }

    private static ParsedGenerateRequest? Parse(string json, out string? error) =>
        GenerateRequestParser.Parse(Encoding.UTF8.GetBytes(json), 4, Limits, out error);
}
