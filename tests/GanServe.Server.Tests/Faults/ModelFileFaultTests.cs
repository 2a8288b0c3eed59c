using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Tests.Browser;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.Logging;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// A model whose file is missing, garbage (with a matching SHA-256) or tampered with at start: that model is not
/// ready with a reason naming the file, an error naming the file is logged, the process keeps running and the good
/// model serves. (StartupTests covers the SHA mismatch and garbage cases in memory; these add the missing file,
/// the log and the real process.)
/// </summary>
public sealed class ModelFileFaultTests : IDisposable
{
    private readonly TestModelRepository _repository = new();
    private readonly string _missing;
    private readonly string _garbage;
    private readonly string _tampered;

    public ModelFileFaultTests()
    {
        _repository.AddOnnx("good", latentDim: 16, channels: 1, projectSize: 2, seed: 1);
        _missing = _repository.AddOnnx("missing", latentDim: 16, channels: 1, projectSize: 2, seed: 2);
        File.Delete(_missing);

        // The card's SHA-256 is that of the garbage itself, so it passes the check and fails in ONNX Runtime.
        _garbage = _repository.AddFile("garbage", 1, [.. Enumerable.Range(0, 512).Select(i => (byte)(i * 37))], 16, 1, 8, 8);
        _tampered = _repository.AddOnnx("tampered", latentDim: 16, channels: 1, projectSize: 2, seed: 3);
        File.AppendAllText(_tampered, "tampered");
    }

    [Fact]
    public async Task Load_MissingGarbageOrTamperedFile_ThatModelNotReadyNamingFileLoggedOthersServe()
    {
        var logs = new CapturedLogs();
        await using var factory = new GanServeFactory(_repository.Root, logs: logs);
        using var client = factory.CreateClient();
        await factory.WaitUntilLoadedAsync();

        using var ready = await client.GetAsync("/readyz");
        var models = await AssertReadinessAsync(ready);
        Assert.Contains("does not exist", Reason(models, "missing"), StringComparison.Ordinal);
        Assert.Contains("SHA-256", Reason(models, "tampered"), StringComparison.Ordinal);

        foreach (var file in new[] { _missing, _garbage, _tampered })
        {
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(file, StringComparison.Ordinal));
        }

        var listed = (await client.GetFromJsonAsync<JsonElement>("/v1/models")).GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("ready").GetBoolean());
        Assert.True(listed["good"]);
        Assert.False(listed["missing"]);
        Assert.False(listed["garbage"]);
        Assert.False(listed["tampered"]);

        await AssertGoodServesAsync(client);
        await HttpAssert.ProblemAsync(await client.GetAsync("/v1/models/missing/images/1.png"), HttpStatusCode.ServiceUnavailable, "not-ready", _missing);
        await HttpAssert.ProblemAsync(await client.PostAsJsonAsync("/v1/models/garbage/generate", new { seeds = new[] { 1 } }), HttpStatusCode.ServiceUnavailable, "not-ready", _garbage);
    }

    [Fact]
    public async Task Start_RealProcessWithBrokenModels_KeepsRunningLogsEachFileAndServesTheGoodModel()
    {
        await using var server = await ServerProcess.StartAsync(TimeSpan.FromSeconds(120), _repository.Root, requireReady: false);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var ready = await client.GetAsync("/readyz");
        await AssertReadinessAsync(ready);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        await AssertGoodServesAsync(client);

        Assert.False(server.HasExited, server.Log);
        foreach (var file in new[] { _missing, _garbage, _tampered })
        {
            Assert.True(server.Log.Contains(file, StringComparison.Ordinal), $"The log does not name {file}:\n{server.Log}");
        }

        Assert.Contains("is not served", server.Log, StringComparison.Ordinal);
    }

    public void Dispose() => _repository.Dispose();

    private static string Reason(JsonElement models, string name) => models.GetProperty(name).GetProperty("reason").GetString() ?? string.Empty;

    private async Task<JsonElement> AssertReadinessAsync(HttpResponseMessage ready)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("not_ready", body.GetProperty("status").GetString());
        var models = body.GetProperty("models");
        Assert.True(models.GetProperty("good").GetProperty("ready").GetBoolean());
        foreach (var (name, file) in new[] { ("missing", _missing), ("garbage", _garbage), ("tampered", _tampered) })
        {
            Assert.False(models.GetProperty(name).GetProperty("ready").GetBoolean());
            Assert.Contains(file, Reason(models, name), StringComparison.Ordinal);
        }

        return models;
    }

    private static async Task AssertGoodServesAsync(HttpClient client)
    {
        using var image = await client.GetAsync("/v1/models/good/images/42.png");
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        var (width, height, _) = Images.Grey(await image.Content.ReadAsByteArrayAsync());
        Assert.Equal((8, 8), (width, height));
        using var generate = await client.PostAsJsonAsync("/v1/models/good/generate", new { seeds = new[] { 1, 2 } });
        Assert.Equal(HttpStatusCode.OK, generate.StatusCode);
        Assert.Equal(2, (await generate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").GetArrayLength());
    }
}
