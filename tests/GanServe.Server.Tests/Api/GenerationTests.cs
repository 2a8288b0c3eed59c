using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Api;

public sealed class GenerationTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private const string Grey = TestModelRepository.Grey;
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task GetImage_SameSeed_SameImageAloneAndInsideBatchesOfMixedSizes()
    {
        var alone = await _client.GetByteArrayAsync($"/v1/models/{Grey}/images/42.png");
        var expected = Images.Grey(alone).Pixels;

        // Concurrent requests of several sizes so seed 42 lands in batches of different sizes.
        var requests = new[] { new uint[] { 1, 42, 3 }, [42], [5, 6, 7, 8, 9, 42, 10, 11, 12, 13], [42, 2] }
            .Select(seeds => _client.PostAsJsonAsync($"/v1/models/{Grey}/generate", new { seeds }))
            .ToList();
        foreach (var (response, seeds) in (await Task.WhenAll(requests)).Zip(new[] { new uint[] { 1, 42, 3 }, [42], [5, 6, 7, 8, 9, 42, 10, 11, 12, 13], [42, 2] }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            var images = body.GetProperty("images");
            var index = Array.IndexOf(seeds, 42u);
            Assert.Equal(42u, images[index].GetProperty("seed").GetUInt32());
            var pixels = Images.Grey(images[index].GetProperty("data").GetBytesFromBase64()).Pixels;
            Assert.True(Images.MaxDifference(expected, pixels) <= 1, "more than one grey level apart");
        }
    }

    [Fact]
    public async Task Generate_GoldenLatents_SeedsAndLatentsGiveTheSameImages()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "golden-latents.json")));
        Assert.Equal(100, golden.RootElement.GetProperty("latentDim").GetInt32());
        var vectors = golden.RootElement.GetProperty("vectors").EnumerateArray().Take(3).ToList();
        var seeds = vectors.Select(v => v.GetProperty("seed").GetUInt32()).ToArray();

        // Exact float32 values from the committed bit patterns.
        var latents = vectors
            .Select(v => v.GetProperty("bits").EnumerateArray().Select(b => BitConverter.UInt32BitsToSingle(b.GetUInt32())).ToArray())
            .ToArray();

        var bySeed = await PostAsync(new { seeds, returnLatents = true });
        var byLatent = await PostAsync(new { latents });

        for (var i = 0; i < seeds.Length; i++)
        {
            var returned = bySeed[i].GetProperty("latent").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(latents[i], returned);
            Assert.Equal(bySeed[i].GetProperty("data").GetString(), byLatent[i].GetProperty("data").GetString());
        }
    }

    [Fact]
    public async Task Generate_WithTruncation_EqualsScaledLatents()
    {
        var latent = Core.Latents.SeedLatents.ForSeed(9, 100);
        var scaled = latent.Select(v => v * 0.5f).ToArray();

        var truncated = await PostAsync(new { seeds = new[] { 9 }, truncation = 0.5 });
        var manual = await PostAsync(new { latents = new[] { scaled } });

        Assert.Equal(manual[0].GetProperty("data").GetString(), truncated[0].GetProperty("data").GetString());
    }

    [Fact]
    public async Task Generate_Grid_ReturnsOneImageWithSamplesRowMajor()
    {
        var single = await Task.WhenAll(new[] { 1, 2, 3 }.Select(s => _client.GetByteArrayAsync($"/v1/models/{Grey}/images/{s}.png")));

        var grid = await PostAsync(new { seeds = new[] { 1, 2, 3 }, grid = true, columns = 2, scale = 2 });

        Assert.Single(grid);
        var (width, height, pixels) = Images.Grey(grid[0].GetProperty("data").GetBytesFromBase64());
        Assert.Equal((56 * 2, 56 * 2), (width, height));
        var third = Images.Grey(single[2]).Pixels;

        // Sample 3 sits in row 1, column 0; each of its pixels is a 2×2 block.
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                Assert.True(Math.Abs(third[(y * 28) + x] - pixels[((56 + (2 * y)) * width) + (2 * x)]) <= 1);
            }
        }
    }

    [Fact]
    public async Task Generate_AcceptImageWithOneSample_ReturnsImageBytesAndHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Grey}/generate")
        {
            Content = JsonContent.Create(new { seeds = new[] { 4 }, format = "webp" }),
        };
        request.Headers.Accept.ParseAdd("image/*");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1", response.Headers.GetValues("X-GanServe-Model-Version").Single());
        Assert.Equal("CPU", response.Headers.GetValues("X-GanServe-Provider").Single());
        Assert.Equal("1", response.Headers.GetValues("X-GanServe-Batch-Size").Single());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF"u8.ToArray(), bytes[..4]);
    }

    [Theory]
    [InlineData("image/jpeg;q=0.1, image/png", "image/png")]
    [InlineData("image/webp;q=0.2, image/png;q=0.9", "image/png")]
    [InlineData("image/png, image/jpeg", "image/png")]
    [InlineData("image/webp;q=0.8, image/jpeg;q=0.8", "image/webp")]
    public async Task Generate_AcceptWithQualities_AnswersTheMostPreferredImageType(string accept, string expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Grey}/generate")
        {
            Content = JsonContent.Create(new { seeds = new[] { 4 } }),
        };
        request.Headers.TryAddWithoutValidation("Accept", accept);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Generate_AcceptImageWithSeveralSamples_Returns406()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Grey}/generate")
        {
            Content = JsonContent.Create(new { seeds = new[] { 1, 2 } }),
        };
        request.Headers.Accept.ParseAdd("image/png");

        using var response = await _client.SendAsync(request);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotAcceptable, "not-acceptable", "2 images");
    }

    [Fact]
    public async Task Generate_JpegFormat_ReturnsGreyJpeg()
    {
        var images = await PostAsync(new { seeds = new[] { 3 }, format = "jpeg" });

        Assert.Equal("image/jpeg", images[0].GetProperty("contentType").GetString());
        var (width, height, _) = Images.Grey(images[0].GetProperty("data").GetBytesFromBase64());
        Assert.Equal((28, 28), (width, height));
    }

    [Fact]
    public async Task Generate_RgbModel_ServedBesideGreyWithItsOwnShape()
    {
        var response = await _client.PostAsJsonAsync("/v1/models/rgb/generate", new { seeds = new[] { 1, 2 }, returnLatents = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var images = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images");
        Assert.Equal(32, images[0].GetProperty("latent").GetArrayLength());
        var (width, height, pixels) = Images.Rgb(images[0].GetProperty("data").GetBytesFromBase64());
        Assert.Equal((16, 16, 16 * 16 * 3), (width, height, pixels.Length));
        var alone = Images.Rgb(await _client.GetByteArrayAsync("/v1/models/rgb/images/1.png")).Pixels;
        Assert.True(Images.MaxDifference(alone, pixels) <= 1);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{\"seeds\":[1,2", "not valid JSON" },
        { "[1,2]", "must be a JSON object" },
        { "{\"seeds\":\"1\"}", "seeds must be an array" },
        { "{\"seeds\":[\"1\"]}", "seeds[0] must be an integer" },
        { "{\"seeds\":[1.5]}", "seeds[0] must be an integer" },
        { "{\"seeds\":[-1]}", "outside 0..4294967295" },
        { "{\"seeds\":[4294967296]}", "outside 0..4294967295" },
        { "{}", "neither" },
        { "{\"seeds\":[]}", "seeds is empty" },
        { "{\"latents\":[[1,2,3]]}", "has 3 values; this model's latents have 100" },
        { "{\"latents\":[[1e39" + string.Concat(Enumerable.Repeat(",0", 99)) + "]]}", "not a finite float32" },
        { "{\"latents\":[[1e400" + string.Concat(Enumerable.Repeat(",0", 99)) + "]]}", "not a finite float32" },
        { "{\"latents\":[[NaN" + string.Concat(Enumerable.Repeat(",0", 99)) + "]]}", "not valid JSON" },
        { "{\"latents\":[[\"Infinity\"" + string.Concat(Enumerable.Repeat(",0", 99)) + "]]}", "must be a number" },
        { "{\"seeds\":[1],\"truncation\":0}", "truncation must be greater than 0" },
        { "{\"seeds\":[1],\"truncation\":1.5}", "truncation must be greater than 0" },
        { "{\"seeds\":[1],\"truncation\":\"0.5\"}", "truncation must be a number" },
        { "{\"seeds\":[1],\"format\":\"gif\"}", "format 'gif' is not known" },
        { "{\"seeds\":[1],\"format\":7}", "format must be a string" },
        { "{\"seeds\":[1],\"scale\":0}", "scale must be an integer from 1 to 16" },
        { "{\"seeds\":[1],\"scale\":17}", "scale must be an integer from 1 to 16" },
        { "{\"seeds\":[1],\"grid\":\"yes\"}", "grid must be true or false" },
        { "{\"seeds\":[1],\"columns\":0}", "columns must be an integer" },
        { "{\"seeds\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}", "more than 16 images" },
        { "{\"seeds\":[1],\"scale\":16}", "more than 200000" },
        { "{\"seeds\":[1],\"truncation\":1e-300}", "truncation must be greater than 0" },
        { "{\"seeds\":[1.0e0, 2.5]}", "seeds[1] must be an integer" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Generate_BadBody_Returns400WithProblem(string body, string detailPart)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync($"/v1/models/{Grey}/generate", content);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", detailPart);
    }

    [Theory]
    [InlineData("{\"seeds\":[1],\"format\":\"@\"}")]
    [InlineData("{\"seeds\":[1],\"@\":1}")]
    [InlineData("{\"seeds\":[1],\"format\":\"\\ud800\"}")]
    public async Task Generate_StringThatIsNotValidUnicode_Returns400WithProblem(string template)
    {
        // '@' becomes the bytes FF FE, which are never UTF-8; the third case is an escaped lone surrogate.
        var bytes = Encoding.UTF8.GetBytes(template).SelectMany(b => b == (byte)'@' ? new byte[] { 0xFF, 0xFE } : [b]).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _client.PostAsync($"/v1/models/{Grey}/generate", content);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", "not valid JSON");
    }

    [Fact]
    public async Task Generate_BothSeedsAndLatents_Returns400()
    {
        var response = await _client.PostAsJsonAsync($"/v1/models/{Grey}/generate", new { seeds = new[] { 1 }, latents = new[] { new float[100] } });

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", "both");
    }

    [Fact]
    public async Task Generate_BodyOverLimit_Returns413()
    {
        var big = "{\"seeds\":[" + string.Join(',', Enumerable.Repeat("1", 40_000)) + "]}";
        using var content = new StringContent(big, Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync($"/v1/models/{Grey}/generate", content);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large", "65536");
    }

    [Fact]
    public async Task Generate_BadTimeoutHeader_Returns400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Grey}/generate")
        {
            Content = JsonContent.Create(new { seeds = new[] { 1 } }),
        };
        request.Headers.Add("X-GanServe-Timeout", "soon");

        using var response = await _client.SendAsync(request);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", "X-GanServe-Timeout");
    }

    [Theory]
    [InlineData("/v1/models/nope/generate")]
    [InlineData("/v1/models/Bad_Name/generate")]
    [InlineData("/v1/models/-x/generate")]
    public async Task Generate_UnknownOrMalformedModel_Returns404(string path)
    {
        var response = await _client.PostAsJsonAsync(path, new { seeds = new[] { 1 } });

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound, "not-found", "no model");
    }

    [Fact]
    public async Task Generate_AnyAnswer_CarriesRequestIdAndKeepsTraceId()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Grey}/images/1.png");
        request.Headers.Add("X-Request-Id", "my-request-17");
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");

        using var response = await _client.SendAsync(request);
        using var bad = await _client.GetAsync($"/v1/models/{Grey}/images/1.gif");

        Assert.Equal("my-request-17", response.Headers.GetValues("X-Request-Id").Single());
        Assert.StartsWith($"00-{traceId}-", response.Headers.GetValues("traceresponse").Single(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(bad.Headers.GetValues("X-Request-Id").Single()));
        var problem = await HttpAssert.ProblemAsync(bad, HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(bad.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("requestId").GetString());
    }

    private async Task<List<JsonElement>> PostAsync(object body)
    {
        using var response = await _client.PostAsJsonAsync($"/v1/models/{Grey}/generate", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.Equal(Grey, json.GetProperty("model").GetString());
        Assert.Equal("1", json.GetProperty("version").GetString());
        return [.. json.GetProperty("images").EnumerateArray()];
    }
}
