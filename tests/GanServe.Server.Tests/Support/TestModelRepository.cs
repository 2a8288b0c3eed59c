using GanServe.Core.Cards;
using GanServe.Onnx;

namespace GanServe.Server.Tests.Support;

/// <summary>A model repository in a temporary folder; deleted on dispose.</summary>
internal sealed class TestModelRepository : IDisposable
{
    public const string Grey = "grey";
    public const string Rgb = "rgb";

    public TestModelRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "ganserve-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>A repository with the two real ONNX generators: grey (latent 100, 1×28×28) and rgb (latent 32, 3×16×16).</summary>
    public static TestModelRepository WithOnnxModels()
    {
        var repository = new TestModelRepository();
        repository.AddOnnx(Grey, latentDim: 100, channels: 1, projectSize: 7, seed: 11);
        repository.AddOnnx(Rgb, latentDim: 32, channels: 3, projectSize: 4, seed: 12);
        return repository;
    }

    /// <summary>Writes a random-weight DCGAN generator (one up-block: side = projectSize × 4) and its card.</summary>
    public string AddOnnx(string name, int latentDim, int channels, int projectSize, int seed, int version = 1, params string[] assets)
    {
        var weights = RandomGeneratorWeights.Create(latentDim, channels, projectChannels: 8, projectSize, blocks: 1, seed);
        var shape = GeneratorGraph.OutputShape(weights);
        return AddFile(name, version, GeneratorGraph.ToBytes(weights), latentDim, shape.Channels, shape.Height, shape.Width, assets);
    }

    /// <summary>Writes a card and a file of arbitrary bytes (for fake generators, or a corrupt model).</summary>
    public string AddFile(string name, int version, byte[] bytes, int latentDim, int channels, int height, int width, string[]? assets = null, string? sha256 = null, string kind = ModelCard.GeneratorKind)
    {
        var directory = Path.Combine(Root, name);
        var relative = $"{version}/model.onnx";
        var file = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, bytes);

        var cardPath = Path.Combine(directory, "model.json");
        var card = File.Exists(cardPath) ? ModelCardJson.Load(cardPath) : new ModelCard
        {
            Name = name,
            Kind = kind,
            LatentDim = latentDim,
            Channels = channels,
            Height = height,
            Width = width,
            InputName = "z",
            OutputName = "image",
            Data = "test data",
        };
        card.Versions[version.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
            new ModelVersionInfo { File = relative, Sha256 = sha256 ?? ModelCardJson.Sha256Of(file) };
        foreach (var asset in assets ?? [])
        {
            card.Assets.Add(asset);
            File.WriteAllBytes(Path.Combine(directory, asset), [0x89, 0x50, 0x4E, 0x47]);
        }

        ModelCardJson.Save(card, cardPath);
        return file;
    }

    /// <summary>A model with a fake file, served by <see cref="FakeGeneratorFactory"/>.</summary>
    public void AddFake(string name, int latentDim = 8, int channels = 1, int size = 4, int version = 1) =>
        AddFile(name, version, [1, 2, 3, (byte)version], latentDim, channels, size, size);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
