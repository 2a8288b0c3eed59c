using Microsoft.ML.OnnxRuntime;

namespace GanServe.Server.Inference;

/// <summary>
/// One ONNX Runtime session of one model version, created once and run concurrently without a lock;
/// inputs and outputs are <see cref="OrtValue"/>s over the caller's (pooled) buffers.
/// </summary>
public sealed class OnnxImageGenerator : IImageGenerator
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Wraps a session whose input and output have been checked by <see cref="OnnxImageGeneratorFactory"/>.</summary>
    public OnnxImageGenerator(InferenceSession session, string inputName, string outputName, int latentDim, ImageShape shape, string provider, string? providerWarning = null)
    {
        ProviderWarning = providerWarning;
        _session = session;
        _inputNames = [inputName];
        _outputNames = [outputName];
        LatentDim = latentDim;
        Shape = shape;
        Provider = provider;
    }

    /// <inheritdoc />
    public int LatentDim { get; }

    /// <inheritdoc />
    public ImageShape Shape { get; }

    /// <inheritdoc />
    public string Provider { get; }

    /// <inheritdoc />
    public string? ProviderWarning { get; }

    /// <inheritdoc />
    public ValueTask RunAsync(ReadOnlyMemory<float> latents, int batchSize, Memory<float> output, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        cancellationToken.ThrowIfCancellationRequested();
        var input = MemoryMarshalExtensions.AsWritable(latents[..(batchSize * LatentDim)]);
        var result = output[..(batchSize * Shape.Values)];

        using var runOptions = new RunOptions();

        // The batch timeout cancels the token; ORT stops the run at its next check.
        using var stop = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, [batchSize, LatentDim]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, result, [batchSize, Shape.Channels, Shape.Height, Shape.Width]);
        try
        {
            _session.Run(runOptions, _inputNames, [inputValue], _outputNames, [outputValue]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The forward pass was stopped.", cancellationToken);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}

/// <summary>Read-only memory handed to ONNX Runtime, which takes writable memory but does not write inputs.</summary>
internal static class MemoryMarshalExtensions
{
    public static Memory<float> AsWritable(ReadOnlyMemory<float> memory) => System.Runtime.InteropServices.MemoryMarshal.AsMemory(memory);
}
