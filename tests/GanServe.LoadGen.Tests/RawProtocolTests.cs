using System.Text;
using GanServe.LoadGen.Load;
using GanServe.LoadGen.Load.Raw;

namespace GanServe.LoadGen.Tests;

/// <summary>The raw transport's bytes: answers parsed whatever the read boundaries, requests written exactly.</summary>
public sealed class RawProtocolTests
{
    private const string LengthAnswer =
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nX-GanServe-Batch-Size: 3, 5\r\nx-ganserve-batch-size: 7\r\nContent-Length: 10\r\n\r\n0123456789";

    private const string ChunkedAnswer =
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "4;name=value\r\nabcd\r\nA \t;x\r\n0123456789\r\n0\r\nX-Trailer: yes\r\nOther: 2\r\n\r\n";

    private const string CloseAnswer = "HTTP/1.1 503 Service Unavailable\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nno";

    public static TheoryData<string> Malformed => new()
    {
        "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad name: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
    };

    [Fact]
    public void Received_ContentLengthAnswerSplitAtEveryOffset_ParsesTheSameAnswer()
    {
        foreach (var parser in EverySplit(LengthAnswer))
        {
            Assert.Equal(200, parser.Status);
            Assert.Equal(15, parser.BatchSizeSum);
            Assert.Equal(3, parser.BatchSizeCount);
            Assert.False(parser.HasRetryAfter);
            Assert.False(parser.MustClose);
            Assert.False(parser.Chunked);
            Assert.False(parser.HasLeftover);
        }
    }

    [Fact]
    public void Received_ChunkedAnswerWithExtensionsAndTrailersSplitAtEveryOffset_ParsesTheSameAnswer()
    {
        foreach (var parser in EverySplit(ChunkedAnswer))
        {
            Assert.Equal(429, parser.Status);
            Assert.True(parser.Chunked);
            Assert.True(parser.HasRetryAfter);
            Assert.False(parser.MustClose);
            Assert.Equal(0, parser.BatchSizeCount);
            Assert.False(parser.HasLeftover);
        }
    }

    [Fact]
    public void Received_ConnectionCloseSplitAtEveryOffset_MustClose()
    {
        foreach (var parser in EverySplit(CloseAnswer))
        {
            Assert.Equal(503, parser.Status);
            Assert.True(parser.MustClose);
        }
    }

    [Fact]
    public void Received_ByteByByte_CompletesOnlyOnTheLastByte()
    {
        var bytes = Encoding.ASCII.GetBytes(ChunkedAnswer);
        var parser = new ResponseParser();
        parser.Start();
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes.AsSpan(i, 1).CopyTo(parser.ReceiveSpace().Span);
            Assert.Equal(i == bytes.Length - 1, parser.Received(1));
        }
    }

    [Fact]
    public void Received_BodiesLongerThanTheBuffer_AreSkippedAndTheNextAnswerParses()
    {
        var body = new string('x', 1000);
        var text = $"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{body}";
        var chunked = $"HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3e8\r\n{body}\r\n0\r\n\r\n";
        var parser = new ResponseParser(64);
        parser.Start();

        Feed(parser, text, 7);
        var first = parser.Status;
        parser.Start();
        Feed(parser, chunked, 13);

        Assert.Equal(200, first);
        Assert.Equal(201, parser.Status);
        Assert.True(parser.Chunked);
        Assert.True(parser.Complete);
    }

    [Fact]
    public void EndOfStream_BodyWithoutFraming_EndsTheAnswerAndMustClose()
    {
        var parser = new ResponseParser();
        parser.Start();

        var completeBeforeClose = Feed(parser, "HTTP/1.1 200 OK\r\nX-GanServe-Batch-Size: 4\r\n\r\nsome bytes", 5);

        Assert.False(completeBeforeClose);
        Assert.True(parser.EndOfStream());
        Assert.True(parser.MustClose);
        Assert.Equal(4, parser.BatchSizeSum);
    }

    [Fact]
    public void EndOfStream_InTheMiddleOfABody_Throws()
    {
        var parser = new ResponseParser();
        parser.Start();
        Feed(parser, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 100);

        var error = Assert.Throws<HttpFramingException>(() => parser.EndOfStream());

        Assert.Contains("middle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Received_InterimAnswerThenFinal_ReportsTheFinal()
    {
        var parser = new ResponseParser();
        parser.Start();

        var complete = Feed(parser, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nRetry-After: 3\r\n\r\n", 9);

        Assert.True(complete);
        Assert.Equal(204, parser.Status);
        Assert.True(parser.HasRetryAfter);
    }

    [Fact]
    public void HasLeftover_BytesAfterTheAnswer_IsTrue()
    {
        var parser = new ResponseParser();
        parser.Start();

        Feed(parser, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP", 100);

        Assert.True(parser.HasLeftover);
    }

    [Fact]
    public void Received_HeaderLineLongerThanTheBuffer_Throws()
    {
        var parser = new ResponseParser(64);
        parser.Start();

        Assert.Throws<HttpFramingException>(() => Feed(parser, "HTTP/1.1 200 OK\r\nX: " + new string('a', 100) + "\r\n\r\n", 10));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Received_MalformedAnswerAtAnySplit_Throws(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        for (var split = 1; split < bytes.Length; split++)
        {
            var parser = new ResponseParser();
            parser.Start();
            Assert.Throws<HttpFramingException>(() =>
            {
                Feed(parser, bytes.AsSpan(0, split));
                Feed(parser, bytes.AsSpan(split));
                if (!parser.Complete)
                {
                    parser.EndOfStream();
                }
            });
        }
    }

    [Fact]
    public void WriteImage_WithKeyAndTimeout_WritesTheExactRequest()
    {
        var writer = new RequestWriter(new Uri("http://127.0.0.1:18123"), "fashion-dcgan", "k3y", 250);
        var buffer = new byte[writer.MaxLength(1)];

        var length = writer.WriteImage(buffer, 4294967295, "webp");

        Assert.Equal(
            "GET /v1/models/fashion-dcgan/images/4294967295.webp HTTP/1.1\r\nHost: 127.0.0.1:18123\r\nX-Api-Key: k3y\r\nX-GanServe-Timeout: 250\r\n\r\n",
            Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void WriteImage_BasePathAndNoOptionalHeaders_WritesTheExactRequest()
    {
        var writer = new RequestWriter(new Uri("http://localhost/api"), "m", null, null);
        var buffer = new byte[writer.MaxLength(1)];

        var length = writer.WriteImage(buffer, 0, "png");

        Assert.Equal("GET /api/v1/models/m/images/0.png HTTP/1.1\r\nHost: localhost\r\n\r\n", Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void WriteGenerate_ThreeSeeds_WritesTheExactRequestWithItsContentLength()
    {
        var writer = new RequestWriter(new Uri("http://localhost:18200/"), "m", null, 1000);
        var buffer = new byte[writer.MaxLength(3)];

        var length = writer.WriteGenerate(buffer, [7, 0, 4000000000], "jpeg");

        const string body = "{\"seeds\":[7,0,4000000000],\"format\":\"jpeg\"}";
        Assert.Equal(
            $"POST /v1/models/m/generate HTTP/1.1\r\nHost: localhost:18200\r\nX-GanServe-Timeout: 1000\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}",
            Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void RequestWriter_ApiKeyWithLineBreak_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RequestWriter(new Uri("http://localhost/"), "m", "a\r\nX-Evil: 1", null));
    }

    [Fact]
    public void Validate_RawTransportForHttps_Throws()
    {
        var settings = new LoadSettings { Url = new Uri("https://localhost/"), Clients = 1, Transport = LoadTransport.Raw };

        var error = Assert.Throws<ArgumentException>(settings.Validate);

        Assert.Contains("httpclient", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost/", null, true)]
    [InlineData("https://localhost/", null, false)]
    [InlineData("http://localhost/", "httpclient", false)]
    [InlineData("http://localhost/", "raw", true)]
    public void Settings_TransportOption_ChoosesRawForPlainHttpUnlessTold(string url, string? transport, bool raw)
    {
        string[] args = transport is null ? ["--url", url, "--clients", "1"] : ["--url", url, "--clients", "1", "--transport", transport];

        var settings = LoadCommandLine.Parse(args).Settings(sweep: false);

        Assert.Equal(raw, settings.UsesRaw);
    }

    private static IEnumerable<ResponseParser> EverySplit(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        for (var first = 0; first <= bytes.Length; first++)
        {
            for (var second = first; second <= bytes.Length; second += Math.Max(1, bytes.Length / 9))
            {
                var parser = new ResponseParser();
                parser.Start();
                Assert.False(Feed(parser, bytes.AsSpan(0, first)) && first < bytes.Length, $"complete after {first} of {bytes.Length} bytes");
                Feed(parser, bytes.AsSpan(first, second - first));
                var complete = Feed(parser, bytes.AsSpan(second));
                Assert.True(complete || parser.Complete, $"incomplete with splits at {first} and {second}");
                yield return parser;
            }
        }
    }

    private static bool Feed(ResponseParser parser, string text, int piece)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var complete = false;
        for (var at = 0; at < bytes.Length; at += piece)
        {
            complete = Feed(parser, bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)));
        }

        return complete;
    }

    private static bool Feed(ResponseParser parser, ReadOnlySpan<byte> bytes)
    {
        var complete = parser.Complete;
        while (!bytes.IsEmpty)
        {
            var space = parser.ReceiveSpace().Span;
            var count = Math.Min(space.Length, bytes.Length);
            bytes[..count].CopyTo(space);
            complete = parser.Received(count);
            bytes = bytes[count..];
        }

        return complete;
    }
}
