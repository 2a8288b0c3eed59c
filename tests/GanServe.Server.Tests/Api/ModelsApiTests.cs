using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Api;

public sealed class ModelsApiTests(OnnxServerFixture server) : IClassFixture<OnnxServerFixture>
{
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task ListModels_TwoGenerators_ListsBothWithShapes()
    {
        var body = await _client.GetFromJsonAsync<JsonElement>("/v1/models");

        var models = body.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["grey", "rgb"], models.Keys.Order());
        var grey = models["grey"];
        Assert.Equal("1", grey.GetProperty("version").GetString());
        Assert.Equal(100, grey.GetProperty("latentDim").GetInt32());
        Assert.Equal((28, 28, 1), (grey.GetProperty("width").GetInt32(), grey.GetProperty("height").GetInt32(), grey.GetProperty("channels").GetInt32()));
        Assert.True(grey.GetProperty("ready").GetBoolean());
        Assert.Equal("CPU", grey.GetProperty("provider").GetString());
        var rgb = models["rgb"];
        Assert.Equal((32, 16, 3), (rgb.GetProperty("latentDim").GetInt32(), rgb.GetProperty("width").GetInt32(), rgb.GetProperty("channels").GetInt32()));
    }

    [Fact]
    public async Task GetModel_Known_ReturnsCardAndAssetUrls()
    {
        var body = await _client.GetFromJsonAsync<JsonElement>("/v1/models/grey");

        Assert.Equal("test data", body.GetProperty("card").GetProperty("data").GetString());
        Assert.Equal("generator", body.GetProperty("card").GetProperty("kind").GetString());
        var assets = body.GetProperty("assets").EnumerateArray().ToList();
        var asset = Assert.Single(assets);
        Assert.Equal("sample-grid.png", asset.GetProperty("name").GetString());
        Assert.Equal("/v1/models/grey/assets/sample-grid.png", asset.GetProperty("url").GetString());
        Assert.Equal("1", body.GetProperty("versions")[0].GetProperty("version").GetString());
        Assert.Equal(64, body.GetProperty("versions")[0].GetProperty("sha256").GetString()!.Length);
    }

    [Fact]
    public async Task GetAsset_Listed_ReturnsTheFile()
    {
        using var response = await _client.GetAsync("/v1/models/grey/assets/sample-grid.png");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(7, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Theory]
    [InlineData("/v1/models/grey/assets/secret.txt")]
    [InlineData("/v1/models/grey/assets/model.json")]
    [InlineData("/v1/models/grey/assets/..%2Frgb%2Fmodel.json")]
    [InlineData("/v1/models/nope/assets/sample-grid.png")]
    [InlineData("/v1/models/nope")]
    public async Task GetAsset_NotListedOrUnknown_Returns404(string path)
    {
        using var response = await _client.GetAsync(path);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }
}
