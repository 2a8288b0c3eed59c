namespace GanServe.Server.Inference;

/// <summary>Channels and size of one generated image.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values in one image: channels × height × width.</summary>
    public int Values => Channels * Height * Width;

    /// <summary>Pixels in one image: height × width.</summary>
    public int Pixels => Height * Width;
}

/// <summary>
/// The one seam between the batcher and a model: turns a batch of latents into a batch of planar images.
/// The ONNX Runtime session implements it; tests and benchmarks plug in fakes.
/// </summary>
public interface IImageGenerator : IDisposable
{
    /// <summary>Length of one latent vector.</summary>
    int LatentDim { get; }

    /// <summary>Shape of one output image.</summary>
    ImageShape Shape { get; }

    /// <summary>Where it runs: <c>CPU</c> or <c>CUDA</c> (or a fake's own name).</summary>
    string Provider { get; }

    /// <summary>Why the provider is not the one asked for (a CUDA fallback), or null.</summary>
    string? ProviderWarning => null;

    /// <summary>
    /// Runs one forward pass. <paramref name="latents"/> holds batchSize × LatentDim values and
    /// <paramref name="output"/> receives batchSize × Shape.Values values (NCHW). Cancellation asks the
    /// engine to stop (the batch timeout); implementations may be called concurrently.
    /// </summary>
    ValueTask RunAsync(ReadOnlyMemory<float> latents, int batchSize, Memory<float> output, CancellationToken cancellationToken);
}

/// <summary>What a generator factory is given to build the generator of one model version.</summary>
/// <param name="ModelName">The model's name.</param>
/// <param name="Version">The version number.</param>
/// <param name="FilePath">The ONNX file (for messages).</param>
/// <param name="ModelBytes">The file's bytes, already checked against the card's SHA-256.</param>
/// <param name="Card">The model card.</param>
public sealed record GeneratorLoadContext(string ModelName, int Version, string FilePath, byte[] ModelBytes, Core.Cards.ModelCard Card);

/// <summary>Builds the <see cref="IImageGenerator"/> of one model version (replaceable in tests).</summary>
public interface IImageGeneratorFactory
{
    /// <summary>Creates the generator; throws <see cref="InvalidDataException"/> with a reason when the model cannot be served.</summary>
    IImageGenerator Create(GeneratorLoadContext context);
}
