using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GanServe.Server.Tests.Browser;
using GanServe.Server.Tests.Support;
using Xunit.Abstractions;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// Thousands of malformed and hostile requests (<see cref="BadInputCorpus"/>): each must get a 4xx with the API's
/// error body, never a 5xx, and afterwards the server is ready and still draws seed 42 exactly as its engine does.
/// In memory for the whole corpus; against the real process for a slice plus what only Kestrel sees (oversized
/// headers and URLs, bodies over the limit, malformed HTTP on a raw socket).
/// </summary>
public sealed class BadInputTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["GanServe:Requests:MaxBodyBytes"] = BadInputCorpus.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["GanServe:Requests:MaxPixelsPerResponse"] = "200000",
        ["GanServe:Requests:MaxImagesPerRequest"] = "16",
        ["GanServe:Batching:MaxBatchSize"] = "8",
    };

    [Fact]
    public async Task Corpus_InMemory_EveryCaseIs4xxWithTheApiErrorBodyAndServerStaysCorrect()
    {
        using var repository = TestModelRepository.WithOnnxModels();
        await using var factory = new GanServeFactory(repository.Root, settings: Limits);
        using var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync(TestModelRepository.Grey);
        await factory.WaitUntilReadyAsync(TestModelRepository.Rgb);
        // TestServer cannot carry a NUL in the path (it throws before the app); the real-process test sends those.
        var corpus = BadInputCorpus.Build().Where(c => !HasNul(c)).ToList();
        Assert.True(corpus.Count >= 3000, $"The corpus has only {corpus.Count} cases.");

        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(corpus, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            using var request = c.ToRequest();
            using var response = await client.SendAsync(request, ct);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if (await ProblemWithAsync(response, c.Shape, kestrelMayAnswer: false) is { } problem)
            {
                failures.Enqueue($"{c} -> {problem}");
            }
        });

        output.WriteLine($"{corpus.Count} cases: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {corpus.Count} cases were answered wrongly:\n" + string.Join('\n', failures.Take(30)));
        await AssertReadyAndCorrectAsync(client, await ReferenceAsync(factory));
    }

    [Fact]
    public async Task Corpus_RealProcess_SliceAndKestrelLimitsAre4xxAndServerStaysCorrect()
    {
        using var repository = TestModelRepository.WithOnnxModels();
        var environment = Limits.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value!);
        await using var server = await ServerProcess.StartAsync(TimeSpan.FromSeconds(120), repository.Root, environment);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var corpus = BadInputCorpus.Build();
        var slice = corpus.Where((c, i) => i % 12 == 0 || HasNul(c)).ToList();
        slice.AddRange(KestrelCases());
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(slice, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, ct) =>
        {
            using var request = c.ToRequest();

            // A connection of its own per case: after some bad requests (a body over the limit left unread) Kestrel
            // closes the connection, and a pooled one reused in that moment ends with no response (a CI flake).
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request, ct);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if (await ProblemWithAsync(response, c.Shape, kestrelMayAnswer: c.Kind.StartsWith("kestrel", StringComparison.Ordinal) || HasNul(c)) is { } problem)
            {
                failures.Enqueue($"{c} -> {problem}");
            }
        });

        var raw = 0;
        foreach (var (name, bytes) in RawRequests())
        {
            var (status, head) = await SendRawAsync(server.BaseAddress, bytes);
            raw++;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (RawProblem(status, head) is { } problem)
            {
                failures.Enqueue($"[raw {name}] -> {problem}: {head}");
            }
        }

        output.WriteLine($"{slice.Count + raw} cases: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} cases were answered wrongly:\n" + string.Join('\n', failures.Take(30)) + "\n" + server.Log[^Math.Min(4000, server.Log.Length)..]);
        Assert.False(server.HasExited);
        Assert.DoesNotContain("fail:", server.Log, StringComparison.Ordinal);

        await using var reference = new GanServeFactory(repository.Root, settings: Limits);
        _ = reference.Server;
        await reference.WaitUntilReadyAsync(TestModelRepository.Grey);
        await AssertReadyAndCorrectAsync(client, await ReferenceAsync(reference));
    }

    private static bool HasNul(BadRequestCase c) => c.Path.Contains("%00", StringComparison.Ordinal);

    /// <summary>What is wrong with the answer to a bad request, or null: a 4xx with the API's error body (or Kestrel's bare answer where it may give one).</summary>
    private static async Task<string?> ProblemWithAsync(HttpResponseMessage response, ErrorShape shape, bool kestrelMayAnswer)
    {
        var status = (int)response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (status is < 400 or >= 500)
        {
            return $"{status} {mediaType}" + (mediaType?.StartsWith("image/", StringComparison.Ordinal) == true ? string.Empty : ": " + await response.Content.ReadAsStringAsync());
        }

        var body = await response.Content.ReadAsStringAsync();

        if (kestrelMayAnswer && body.Length == 0 && status is 400 or 413 or 414 or 431)
        {
            return null;
        }

        try
        {
            var json = JsonSerializer.Deserialize<JsonElement>(body);
            if (shape == ErrorShape.V2Error)
            {
                return mediaType == "application/json" && json.ValueKind == JsonValueKind.Object
                    && json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String && error.GetString()!.Length > 0
                        ? null
                        : $"{status} {mediaType} without {{\"error\"}}: {body}";
            }

            return mediaType == "application/problem+json"
                && json.TryGetProperty("type", out var type) && type.GetString()?.StartsWith("urn:ganserve:problem:", StringComparison.Ordinal) == true
                && json.TryGetProperty("title", out var title) && !string.IsNullOrEmpty(title.GetString())
                && json.TryGetProperty("status", out var statusField) && statusField.GetInt32() == status
                    ? null
                    : $"{status} {mediaType} not problem details: {body}";
        }
        catch (JsonException)
        {
            return $"{status} {mediaType} with a body that is not JSON: {body[..Math.Min(body.Length, 300)]}";
        }
    }

    /// <summary>Requests Kestrel refuses itself (its bare 4xx are allowed) or that test the app's own limits over a real socket.</summary>
    private static IEnumerable<BadRequestCase> KestrelCases()
    {
        var seeds = "{\"seeds\":[1]}"u8.ToArray();
        KeyValuePair<string, string> H(string name, string value) => new(name, value);
        yield return new("kestrel-header-count", HttpMethod.Get, "/v1/models/grey/images/1.png", null, [.. Enumerable.Range(0, 150).Select(i => H($"X-H{i}", "v"))], ErrorShape.Problem);
        yield return new("kestrel-header-count", HttpMethod.Post, "/v1/models/grey/generate", seeds, [.. Enumerable.Range(0, 150).Select(i => H($"X-H{i}", "v"))], ErrorShape.Problem);

        // Absurd but well-formed headers reach the app, which must still answer the bad request with its own body.
        string[][] absurd =
        [
            ["X-GanServe-Timeout", new string('9', 5000)], ["X-Request-Id", new string('r', 5000)], ["X-Request-Id", "../../etc/passwd"],
            ["traceparent", "00-zzzz-yyyy-01"], ["traceparent", new string('0', 3000)], ["Accept", "image/png;q=abc, */*;q=-1"],
            ["Accept", new string(',', 4000)], ["If-None-Match", new string('"', 3001)], ["Content-Type", "application/json; charset=ebcdic"],
            ["Authorization", "Bearer " + new string('k', 8000)], ["X-Api-Key", new string('k', 8000)], ["Accept-Encoding", "gzip;q=2, br;q=nan"],
        ];
        foreach (var header in absurd)
        {
            yield return new("absurd-header", HttpMethod.Get, "/v1/models/grey/images/-1.png", null, [H(header[0], header[1])], ErrorShape.Problem);
            yield return new("absurd-header", HttpMethod.Post, "/v1/models/grey/generate", "{\"seeds\":[-1]}"u8.ToArray(), [H(header[0], header[1])], ErrorShape.Problem);
            yield return new("absurd-header", HttpMethod.Post, "/v2/models/grey/infer", "{}"u8.ToArray(), [H(header[0], header[1])], ErrorShape.V2Error);
        }
    }

    /// <summary>A raw answer must be a 4xx, bare (Kestrel's own, no body) or with a JSON error body.</summary>
    private static string? RawProblem(int status, string head)
    {
        if (status is < 400 or >= 500)
        {
            return $"status {status}";
        }

        var lines = head.Split("\r\n");
        var contentType = lines.FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?["Content-Type:".Length..].Trim();
        var bare = lines.Any(l => l.Equals("Content-Length: 0", StringComparison.OrdinalIgnoreCase));
        return contentType is null
            ? bare ? null : "no Content-Type and a body"
            : contentType.StartsWith("application/problem+json", StringComparison.Ordinal) || contentType.StartsWith("application/json", StringComparison.Ordinal)
                ? null
                : $"Content-Type {contentType}";
    }

    /// <summary>
    /// Malformed HTTP/1.1 that no client library would send, and requests over Kestrel's limits (sent raw so that the
    /// server's early answer and close cannot turn into a broken pipe on the client's side).
    /// </summary>
    private static IEnumerable<(string Name, byte[] Bytes)> RawRequests()
    {
        static byte[] A(string text) => Encoding.Latin1.GetBytes(text);
        yield return ("header over 32 KiB", A("GET /v1/models/grey/images/1.png HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 40_000) + "\r\n\r\n"));
        yield return ("cookie over 64 KiB", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nCookie: " + new string('c', 70_000) + "\r\nContent-Length: 13\r\n\r\n{\"seeds\":[1]}"));
        yield return ("request line over 8 KiB", A("GET /v1/models/grey/images/1.png?x=" + new string('q', 10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("path over 8 KiB", A("GET /v1/models/" + new string('m', 9_000) + "/images/1.png HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("declared body over the limit", A($"POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {BadInputCorpus.MaxBodyBytes * 4}\r\n\r\n{{\"seeds\":["));
        yield return ("declared v2 body over the limit", A($"POST /v2/models/grey/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {BadInputCorpus.MaxBodyBytes * 4}\r\n\r\n{{"));
        var chunk = new string(' ', BadInputCorpus.MaxBodyBytes + 1);
        yield return ("chunked body over the limit", A($"POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunk.Length:x}\r\n{chunk}\r\n"));
        yield return ("dot segments above the root", A("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("escaped dot segments", A("GET /v1/models/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("dot-segment model", A("GET /v2/models/%2e%2e/ready HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("escaped slashes in asset", A("GET /v1/models/grey/assets/..%2f..%2fmodel.json HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("no host", A("GET /healthz HTTP/1.1\r\n\r\n"));
        yield return ("bad request line", A("GET\r\nHost: x\r\n\r\n"));
        yield return ("spaces in target", A("GET /v1/models/grey/images/1 .png HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("header without colon", A("GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n"));
        yield return ("space before colon", A("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"));
        yield return ("bad content-length", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"));
        yield return ("negative content-length", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}"));
        yield return ("two content-lengths", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"));
        yield return ("length and chunked", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        yield return ("bad chunk size", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
        yield return ("unknown transfer-encoding", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}"));
        yield return ("nul in target", A("GET /v1/models/grey/images/1\0.png HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("control chars in header", A("GET /v1/models/grey/images/-1.png HTTP/1.1\r\nHost: x\r\nX-A: b\u0001c\r\n\r\n"));
        yield return ("lone LF", A("GET /v1/models/grey/images/-1.png HTTP/1.1\nHost: x\n\n"));
        yield return ("bad method", A("G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("absolute target, wrong scheme", A("GET ftp://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("asterisk target on GET", A("GET * HTTP/1.1\r\nHost: x\r\n\r\n"));
        yield return ("two hosts", A("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"));
        yield return ("body shorter than length", A("POST /v1/models/grey/generate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"seeds\":[1]}"));
    }

    /// <summary>Sends raw bytes over loopback and reads the status line (and head) of the answer; 0 when none came.</summary>
    private static async Task<(int Status, string Head)> SendRawAsync(Uri server, byte[] request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server answered and closed before it read everything (as it may for a request over its limits).
        }
        catch (SocketException)
        {
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[16 * 1024];
        var total = 0;
        try
        {
            // Only the head is needed: read until it is complete or the server closes.
            int read;
            while (total < buffer.Length && !Encoding.Latin1.GetString(buffer, 0, total).Contains("\r\n\r\n", StringComparison.Ordinal)
                && (read = await stream.ReadAsync(buffer.AsMemory(total), timeout.Token)) > 0)
            {
                total += read;
            }
        }
        catch (IOException) when (total > 0)
        {
            // Kestrel resets the connection after its answer to some malformed requests; the answer has arrived.
        }

        var text = Encoding.Latin1.GetString(buffer, 0, total);
        var head = text.Split("\r\n\r\n")[0];
        var parts = head.Split(' ', 3);
        return (parts.Length >= 2 && int.TryParse(parts[1], out var status) ? status : 0, head);
    }

    /// <summary>Seed 42's pixels as the grey model's own engine makes them (one forward pass, no HTTP).</summary>
    private static async Task<byte[]> ReferenceAsync(GanServeFactory factory)
    {
        var generator = factory.Catalog.Models[TestModelRepository.Grey].Default!.Generator!;
        var output = new float[generator.Shape.Values];
        await generator.RunAsync(Core.Latents.SeedLatents.ForSeed(42, generator.LatentDim), 1, output, CancellationToken.None);
        var pixels = new byte[generator.Shape.Pixels];
        Core.Imaging.PixelConverter.ToInterleaved(output, 1, generator.Shape.Pixels, pixels);
        return pixels;
    }

    private static async Task AssertReadyAndCorrectAsync(HttpClient client, byte[] reference)
    {
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using var image = await client.GetAsync("/v1/models/grey/images/42.png");
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        var (width, height, pixels) = Images.Grey(await image.Content.ReadAsByteArrayAsync());
        Assert.Equal((28, 28), (width, height));
        Assert.Equal(reference, pixels);
    }
}
