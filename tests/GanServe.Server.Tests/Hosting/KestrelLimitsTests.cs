using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using GanServe.Server.Tests.Support;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.Server.Tests.Hosting;

/// <summary>The limits of <c>GanServe:Limits</c> and <c>Requests:MaxBodyBytes</c> as the real Kestrel enforces them, on a loopback port.</summary>
public sealed class KestrelLimitsTests : IDisposable
{
    private const string Model = "fake";
    private readonly TestModelRepository _repository = new();

    public KestrelLimitsTests() => _repository.AddFake(Model);

    [Theory]
    [InlineData(1, 4000)]
    [InlineData(40, 10)]
    public async Task Headers_OverTheLimits_Return431(int headers, int bytesEach)
    {
        await using var server = await StartAsync(new()
        {
            ["GanServe:Limits:MaxRequestHeadersTotalSize"] = "2048",
            ["GanServe:Limits:MaxRequestHeaderCount"] = "20",
        });
        using var client = server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}");
        for (var i = 0; i < headers; i++)
        {
            request.Headers.Add($"X-Filler-{i}", new string('a', bytesEach));
        }

        using var rejected = await client.SendAsync(request);
        using var plain = await client.GetAsync($"/v1/models/{Model}");

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(Model, (await plain.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task RequestLine_OverTheLimit_Returns414()
    {
        await using var server = await StartAsync(new() { ["GanServe:Limits:MaxRequestLineSize"] = "512" });
        using var client = server.Client();

        using var rejected = await client.GetAsync($"/v1/models/{Model}?pad={new string('p', 1000)}");
        using var plain = await client.GetAsync($"/v1/models/{Model}?pad=short");

        Assert.Equal(HttpStatusCode.RequestUriTooLong, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Body_OverMaxBodyBytes_Returns413Problem(bool chunked)
    {
        await using var server = await StartAsync(new() { ["GanServe:Requests:MaxBodyBytes"] = "1024" });
        using var client = server.Client();
        var json = "{\"seeds\":[" + string.Join(',', Enumerable.Range(0, 1000)) + "]}";
        HttpContent content = chunked
            ? new UnknownLengthContent(Encoding.UTF8.GetBytes(json))
            : new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync($"/v1/models/{Model}/generate", content);

        Assert.Equal(chunked, content.Headers.ContentLength is null);
        await HttpAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large", "1024");
        content.Dispose();
    }

    [Fact]
    public async Task Connections_OverTheLimit_AreClosedWithoutAnswerWhileOthersKeepWorking()
    {
        await using var server = await StartAsync(new() { ["GanServe:Limits:MaxConcurrentConnections"] = "2" });
        using var first = await server.ConnectAsync();
        using var second = await server.ConnectAsync();

        // An answer on each proves Kestrel accepted (and counts) both connections.
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(first), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(second), StringComparison.Ordinal);
        using var third = await server.ConnectAsync();
        var refused = await ExchangeAsync(third);

        Assert.DoesNotContain("HTTP/1.1 200", refused, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(first), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_Defaults_SetsEveryLimitExplicitly()
    {
        var limits = new KestrelServerLimits();
        var options = new Server.Configuration.GanServeOptions();

        Server.Hosting.KestrelLimits.Apply(limits, options);

        Assert.Equal(1 << 20, limits.MaxRequestBodySize);
        Assert.Equal(16 * 1024, limits.MaxRequestHeadersTotalSize);
        Assert.Equal(64, limits.MaxRequestHeaderCount);
        Assert.Equal(8 * 1024, limits.MaxRequestLineSize);
        Assert.Equal(1024, limits.MaxConcurrentConnections);
        Assert.Equal(0, limits.MaxConcurrentUpgradedConnections);
        Assert.Equal(TimeSpan.FromSeconds(130), limits.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), limits.RequestHeadersTimeout);
        Assert.Equal(240, limits.MinRequestBodyDataRate?.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinRequestBodyDataRate?.GracePeriod);
    }

    public void Dispose() => _repository.Dispose();

    /// <summary>Sends <c>GET /healthz</c> on the connection and returns what came back before the answer ended or the connection closed.</summary>
    private static async Task<string> ExchangeAsync(TcpClient connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stream = connection.GetStream();
        var received = new StringBuilder();
        try
        {
            await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[4096];
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (IsComplete(received.ToString()))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // A reset connection: nothing more will come.
        }

        return received.ToString();
    }

    private static bool IsComplete(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var lengthLine = response[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return response.Length - (end + 4) >= length;
    }

    private async Task<LoopbackServer> StartAsync(Dictionary<string, string?> settings)
    {
        var port = LoopbackServer.FreePort();
        var factory = new GanServeFactory(_repository.Root, new FakeGeneratorFactory(), settings: settings);
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        factory.StartServer();

        // GanServeFactory's own wait touches the test server, which a Kestrel factory has not got.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await factory.Services.GetRequiredService<ModelLoader>().Loading.WaitAsync(timeout.Token);
        await factory.Catalog.Models[Model].Default!.WaitUntilAsync(i => i.IsReady, timeout.Token);
        return new LoopbackServer(factory, port);
    }

    /// <summary>A body sent chunked (no Content-Length), so only Kestrel's limit can stop it.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class LoopbackServer(GanServeFactory factory, int port) : IAsyncDisposable
    {
        public Uri BaseAddress { get; } = new($"http://127.0.0.1:{port}");

        /// <summary>A port in 18100-18999 that nothing listens on now.</summary>
        public static int FreePort()
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var candidate = Random.Shared.Next(18100, 19000);
                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, candidate);
                    probe.Start();
                    return candidate;
                }
                catch (SocketException)
                {
                    // Taken; try another.
                }
            }

            throw new InvalidOperationException("No free loopback port in 18100-18999.");
        }

        public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        public async Task<TcpClient> ConnectAsync()
        {
            var connection = new TcpClient();
            await connection.ConnectAsync(IPAddress.Loopback, port);
            return connection;
        }

        public ValueTask DisposeAsync() => factory.DisposeAsync();
    }
}
