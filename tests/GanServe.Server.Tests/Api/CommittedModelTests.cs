using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Api;

/// <summary>Runs only where <c>models/fashion-dcgan</c> exists; skipped (with the reason) until it is committed.</summary>
public sealed class CommittedModelFactAttribute : FactAttribute
{
    public CommittedModelFactAttribute()
    {
        if (CommittedModel.Repository is null)
        {
            Skip = "models/fashion-dcgan is not in the repository yet (the model is being trained).";
        }
    }
}

internal static class CommittedModel
{
    public const string Name = "fashion-dcgan";

    /// <summary>The repository's models folder when it holds the committed generator.</summary>
    public static string? Repository { get; } = Find();

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")))
            {
                var models = Path.Combine(dir.FullName, "models");
                return File.Exists(Path.Combine(models, Name, "model.json")) ? models : null;
            }
        }

        return null;
    }
}

public sealed class CommittedModelTests
{
    [CommittedModelFact]
    public async Task CommittedModel_Loads_ServesGreyFashionImagesFromSeeds()
    {
        await using var factory = new GanServeFactory(CommittedModel.Repository!);
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync(CommittedModel.Name);

        var model = await client.GetFromJsonAsync<JsonElement>($"/v1/models/{CommittedModel.Name}");
        using var image = await client.GetAsync($"/v1/models/{CommittedModel.Name}/images/0.png");
        using var batch = await client.PostAsJsonAsync($"/v1/models/{CommittedModel.Name}/generate", new { seeds = new[] { 0, 1, 2, 3 } });

        Assert.Equal(100, model.GetProperty("latentDim").GetInt32());
        Assert.Equal((28, 28, 1), (model.GetProperty("width").GetInt32(), model.GetProperty("height").GetInt32(), model.GetProperty("channels").GetInt32()));
        Assert.True(model.GetProperty("ready").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        var alone = Images.Grey(await image.Content.ReadAsByteArrayAsync()).Pixels;
        var first = (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0].GetProperty("data").GetBytesFromBase64();
        Assert.True(Images.MaxDifference(alone, Images.Grey(first).Pixels) <= 1);
    }

    [CommittedModelFact]
    public async Task V2Infer_LatentThatOverflowsTheNetwork_Returns400WithErrorBody()
    {
        await using var factory = new GanServeFactory(CommittedModel.Repository!);
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync(CommittedModel.Name);
        var json = """{"inputs":[{"name":"z","shape":[1,100],"datatype":"FP32","data":[""" + string.Join(",", Enumerable.Repeat("1e38", 100)) + "]}]}";

        using var response = await client.PostAsync($"/v2/models/{CommittedModel.Name}/infer", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not finite", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [CommittedModelFact]
    public async Task Generate_LatentThatOverflowsTheNetwork_Returns400Problem()
    {
        await using var factory = new GanServeFactory(CommittedModel.Repository!);
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync(CommittedModel.Name);

        using var response = await client.PostAsJsonAsync($"/v1/models/{CommittedModel.Name}/generate", new { latents = new[] { Enumerable.Repeat(1e38f, 100).ToArray() } });

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-request", "not finite");
    }
}
