namespace GanServe.Server.Tests.Support;

/// <summary>One server over the two real ONNX test generators, shared by the tests that only read.</summary>
public sealed class OnnxServerFixture : IAsyncLifetime
{
    private readonly TestModelRepository _repository = TestModelRepository.WithOnnxModels();
    private GanServeFactory? _factory;

    internal GanServeFactory Factory => _factory ?? throw new InvalidOperationException("Not started.");

    public HttpClient CreateClient() => Factory.CreateClient();

    public async Task InitializeAsync()
    {
        File.WriteAllBytes(Path.Combine(_repository.Root, TestModelRepository.Grey, "sample-grid.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(_repository.Root, TestModelRepository.Grey, "secret.txt"), "not an asset");
        var cardPath = Path.Combine(_repository.Root, TestModelRepository.Grey, "model.json");
        var card = Core.Cards.ModelCardJson.Load(cardPath);
        card.Assets.AddRange(["sample-grid.png", "../rgb/model.json"]);
        Core.Cards.ModelCardJson.Save(card, cardPath);

        _factory = new GanServeFactory(_repository.Root, settings: new Dictionary<string, string?>
        {
            ["GanServe:Requests:MaxBodyBytes"] = "65536",
            ["GanServe:Requests:MaxPixelsPerResponse"] = "200000",
            ["GanServe:Requests:MaxImagesPerRequest"] = "16",
            ["GanServe:Batching:MaxBatchSize"] = "8",
        });
        await _factory.WaitUntilReadyAsync(TestModelRepository.Grey);
        await _factory.WaitUntilReadyAsync(TestModelRepository.Rgb);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _repository.Dispose();
    }
}
