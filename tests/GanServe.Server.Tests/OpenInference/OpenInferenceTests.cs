using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GanServe.Core.Imaging;
using GanServe.Core.Latents;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.OpenInference;

public sealed class OpenInferenceTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private const string Grey = TestModelRepository.Grey;
    private const string Rgb = TestModelRepository.Rgb;
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task Live_Always_Returns200WithLiveTrue()
    {
        var response = await _client.GetAsync("/v2/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("live").GetBoolean());
    }

    [Fact]
    public async Task Ready_AllModelsReady_Returns200WithReadyTrue()
    {
        var response = await _client.GetAsync("/v2/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task ServerMetadata_Always_NamesServerAndNoExtensions()
    {
        var body = await _client.GetFromJsonAsync<JsonElement>("/v2");

        Assert.Equal("ganserve", body.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
        Assert.Equal(0, body.GetProperty("extensions").GetArrayLength());
    }

    [Theory]
    [InlineData(Grey, "[-1,100]", "[-1,1,28,28]")]
    [InlineData(Rgb, "[-1,32]", "[-1,3,16,16]")]
    public async Task ModelMetadata_KnownModel_DescribesGraphTensorsAsFp32(string model, string inputShape, string outputShape)
    {
        var body = await _client.GetFromJsonAsync<JsonElement>($"/v2/models/{model}");

        Assert.Equal(model, body.GetProperty("name").GetString());
        Assert.Equal(["1"], body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("onnxruntime_onnx", body.GetProperty("platform").GetString());
        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("z", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal(inputShape, input.GetProperty("shape").GetRawText());
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("image", output.GetProperty("name").GetString());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal(outputShape, output.GetProperty("shape").GetRawText());
    }

    [Theory]
    [InlineData("/v2/models/nope")]
    [InlineData("/v2/models/nope/ready")]
    [InlineData("/v2/models/grey/versions/7")]
    [InlineData("/v2/models/grey/versions/01/ready")]
    public async Task ModelRoutes_UnknownModelOrVersion_Return404WithErrorBody(string path)
    {
        await AssertErrorAsync(await _client.GetAsync(path), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ModelReady_ReadyModelAndVersion_Returns200WithNameAndReady()
    {
        foreach (var path in new[] { $"/v2/models/{Grey}/ready", $"/v2/models/{Grey}/versions/1/ready" })
        {
            var response = await _client.GetAsync(path);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(Grey, body.GetProperty("name").GetString());
            Assert.True(body.GetProperty("ready").GetBoolean());
        }
    }

    [Fact]
    public async Task Infer_SeedLatent_ReturnsSamePixelsAsV1ForThatSeed()
    {
        var v1 = Images.Grey(await _client.GetByteArrayAsync($"/v1/models/{Grey}/images/42.png")).Pixels;
        var latent = SeedLatents.ForSeed(42, 100);

        var response = await _client.PostAsJsonAsync($"/v2/models/{Grey}/infer", Request("z", [1, 100], latent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outputs").EnumerateArray());
        Assert.Equal("image", output.GetProperty("name").GetString());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal("[1,1,28,28]", output.GetProperty("shape").GetRawText());
        var values = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(28 * 28, values.Length);
        Assert.Contains(values, v => v is > -1f and < 1f && v != 0f);
        Assert.Equal(v1, values.Select(PixelConverter.ToLevel).ToArray());
    }

    [Fact]
    public async Task Infer_NestedAndFlatData_GiveTheSameOutputsAndEchoTheId()
    {
        var latents = new[] { SeedLatents.ForSeed(1, 32), SeedLatents.ForSeed(2, 32) };
        var flat = new { id = "flat-1", inputs = new[] { new { name = "z", shape = new[] { 2, 32 }, datatype = "FP32", data = (object)latents.SelectMany(l => l).ToArray() } }, outputs = new[] { new { name = "image" } } };
        var nested = new { inputs = new[] { new { name = "z", shape = new[] { 2, 32 }, datatype = "FP32", data = (object)latents } }, parameters = new { note = "ignored" } };

        var a = await (await _client.PostAsJsonAsync($"/v2/models/{Rgb}/versions/1/infer", flat)).Content.ReadFromJsonAsync<JsonElement>();
        var b = await (await _client.PostAsJsonAsync($"/v2/models/{Rgb}/infer", nested)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(Rgb, a.GetProperty("model_name").GetString());
        Assert.Equal("1", a.GetProperty("model_version").GetString());
        Assert.Equal("flat-1", a.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(b.GetProperty("id").GetString()));
        Assert.Equal("[2,3,16,16]", a.GetProperty("outputs")[0].GetProperty("shape").GetRawText());
        Assert.Equal(2 * 3 * 16 * 16, a.GetProperty("outputs")[0].GetProperty("data").GetArrayLength());
        Assert.Equal(a.GetProperty("outputs")[0].GetProperty("data").GetRawText(), b.GetProperty("outputs")[0].GetProperty("data").GetRawText());
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"INT32","data":[]}]}""", "FP32")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,100],"datatype":"FP32","data":[]}]}""", "'z'")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,99],"datatype":"FP32","data":[]}]}""", "[N, 100]")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[1,2,3]}]}""", "has 3 values")]
    [InlineData("""{"inputs":[{"name":"z","shape":[17,100],"datatype":"FP32","data":[]}]}""", "MaxImagesPerRequest")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[1e39]}]}""", "finite float32")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":["a"]}]}""", "must be a number")]
    [InlineData("""{"inputs":[]}""", "exactly one")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[]}],"outputs":[{"name":"logits"}]}""", "'image'")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[]}],"outputs":[{"name":"image","parameters":{"binary_data":true}}]}""", "binary tensor")]
    [InlineData("""{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","parameters":{"binary_data_size":400}}]}""", "binary tensor")]
    [InlineData("""{"inputs": [""", "not valid JSON")]
    [InlineData("""{"id":5,"inputs":[]}""", "id must be a string")]
    public async Task Infer_InvalidRequest_Returns400WithErrorBody(string json, string messagePart)
    {
        var response = await PostRawAsync($"/v2/models/{Grey}/infer", json);

        var message = await AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(messagePart, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, new[] { 50, 150 }, "data[0] must be an array of 100")]
    [InlineData(1, new[] { 50, 50 }, "data[0] must be an array of 100")]
    [InlineData(2, new[] { 100, 100, 100 }, "has 3 rows")]
    public async Task Infer_NestedDataNotMatchingShape_Returns400(int rows, int[] rowLengths, string messagePart)
    {
        var data = "[" + string.Join(",", rowLengths.Select(n => "[" + string.Join(",", Enumerable.Repeat("0", n)) + "]")) + "]";
        var json = $$"""{"inputs":[{"name":"z","shape":[{{rows}},100],"datatype":"FP32","data":{{data}}}]}""";

        var message = await AssertErrorAsync(await PostRawAsync($"/v2/models/{Grey}/infer", json), HttpStatusCode.BadRequest);

        Assert.Contains(messagePart, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_FlatDataMixedWithARow_Returns400()
    {
        var json = """{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[1,[2]]}]}""";

        var message = await AssertErrorAsync(await PostRawAsync($"/v2/models/{Grey}/infer", json), HttpStatusCode.BadRequest);

        Assert.Contains("not a mix", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_LatentThatOverflowsTheNetwork_Returns400NotAServerError()
    {
        var json = """{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[""" + string.Join(",", Enumerable.Repeat("3e38", 100)) + "]}]}";

        var response = await PostRawAsync($"/v2/models/{Grey}/infer", json);

        // The test model may or may not overflow on this input; either way the answer is never a 5xx.
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"got {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Contains("not finite", await AssertErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("GET", "/v2/nothing-here", HttpStatusCode.NotFound)]
    [InlineData("GET", "/v2/models/grey/infer", HttpStatusCode.MethodNotAllowed)]
    public async Task UnmatchedV2Request_AnswersWithTheProtocolsErrorBody(string method, string path, HttpStatusCode status)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var message = await AssertErrorAsync(response, status);
        Assert.Contains(path, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_UnknownModel_Returns404WithErrorBody()
    {
        var message = await AssertErrorAsync(await _client.PostAsJsonAsync("/v2/models/nope/infer", Request("z", [1, 100], new float[100])), HttpStatusCode.NotFound);
        Assert.Contains("nope", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BodyOverLimit_Returns413WithErrorBody()
    {
        var response = await PostRawAsync($"/v2/models/{Grey}/infer", "{\"inputs\":[" + new string(' ', 70_000) + "]}");

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Infer_BadTimeoutHeader_Returns400WithErrorBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Grey}/infer") { Content = JsonContent.Create(Request("z", [1, 100], new float[100])) };
        request.Headers.Add("X-GanServe-Timeout", "soon");

        var message = await AssertErrorAsync(await _client.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Contains("X-GanServe-Timeout", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ModelNotReady_Returns503WithRetryAfterAndErrorBody()
    {
        using var repository = new TestModelRepository();
        repository.AddFile("broken", 1, [1, 2, 3], latentDim: 4, channels: 1, height: 4, width: 4);
        await using var factory = new GanServeFactory(repository.Root);
        await factory.WaitUntilLoadedAsync();
        var client = factory.CreateClient();

        var infer = await client.PostAsJsonAsync("/v2/models/broken/infer", Request("z", [1, 4], new float[4]));
        var ready = await client.GetAsync("/v2/models/broken/ready");
        var serverReady = await client.GetAsync("/v2/health/ready");

        await AssertErrorAsync(infer, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(infer.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.False((await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ready").GetBoolean());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, serverReady.StatusCode);
        Assert.False((await serverReady.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ready").GetBoolean());
    }

    [Theory]
    [InlineData("id", "@")]
    [InlineData("name", "@")]
    [InlineData("datatype", "@")]
    [InlineData("id", "\\ud800")]
    public async Task Infer_StringThatIsNotValidUnicode_Returns400WithError(string field, string value)
    {
        var zeros = string.Join(",", Enumerable.Repeat("0", 100));
        var fields = new Dictionary<string, string> { ["id"] = "r1", ["name"] = "z", ["datatype"] = "FP32" };
        fields[field] = value;
        var json = "{\"id\":\"" + fields["id"] + "\",\"inputs\":[{\"name\":\"" + fields["name"] + "\",\"shape\":[1,100],\"datatype\":\"" + fields["datatype"] + "\",\"data\":[" + zeros + "]}]}";

        // '@' becomes the bytes FF FE, which are never UTF-8; "\ud800" is an escaped lone surrogate.
        var bytes = Encoding.UTF8.GetBytes(json).SelectMany(b => b == (byte)'@' ? new byte[] { 0xFF, 0xFE } : [b]).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _client.PostAsync($"/v2/models/{Grey}/infer", content);

        Assert.Contains("not valid JSON", await AssertErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    private static object Request(string name, int[] shape, float[] data) =>
        new { inputs = new[] { new { name, shape, datatype = "FP32", data } } };

    private Task<HttpResponseMessage> PostRawAsync(string path, string json) =>
        _client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Asserts the status and the protocol's error body <c>{"error": "..."}</c>; returns the message.</summary>
    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonSerializer.Deserialize<JsonElement>(text);
        var property = Assert.Single(body.EnumerateObject());
        Assert.Equal("error", property.Name);
        Assert.False(string.IsNullOrWhiteSpace(property.Value.GetString()));
        return property.Value.GetString()!;
    }
}
