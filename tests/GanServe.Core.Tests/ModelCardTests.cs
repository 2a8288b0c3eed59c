using System.Text.Json;
using GanServe.Core.Cards;

namespace GanServe.Core.Tests;

public sealed class ModelCardTests
{
    [Fact]
    public void SaveThenLoad_KeepsFieldsAndUnknownExtras()
    {
        var dir = Directory.CreateTempSubdirectory("card-");
        var path = Path.Combine(dir.FullName, "model.json");
        var card = new ModelCard
        {
            Name = "demo",
            Kind = ModelCard.GeneratorKind,
            LatentDim = 100,
            Versions = { ["1"] = new ModelVersionInfo { File = "1/model.onnx", Sha256 = "ab" }, ["3"] = new ModelVersionInfo { File = "3/model.onnx", Sha256 = "cd" } },
            Extra = new Dictionary<string, JsonElement> { ["custom"] = JsonDocument.Parse("{\"a\":1}").RootElement },
        };

        ModelCardJson.Save(card, path);
        var loaded = ModelCardJson.Load(path);

        Assert.Equal("demo", loaded.Name);
        Assert.Equal(100, loaded.LatentDim);
        Assert.Equal(3, loaded.LatestVersion);
        Assert.Equal(1, loaded.Extra!["custom"].GetProperty("a").GetInt32());
        Assert.Contains("\"kind\": \"generator\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BrokenJson_NamesTheFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("card-").FullName, "model.json");
        File.WriteAllText(path, "{ not json");

        var ex = Assert.Throws<InvalidDataException>(() => ModelCardJson.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sha256Of_KnownContent_MatchesKnownDigest()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("card-").FullName, "f.bin");
        File.WriteAllText(path, "abc");

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ModelCardJson.Sha256Of(path));
    }
}
