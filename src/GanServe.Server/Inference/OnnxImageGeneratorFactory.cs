using GanServe.Core.Cards;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace GanServe.Server.Inference;

/// <summary>
/// Creates ONNX Runtime generators: reads the input and output names and shapes from the graph
/// (checked against the card) and picks the execution provider.
/// </summary>
public sealed partial class OnnxImageGeneratorFactory(ExecutionProviders providers, ILogger<OnnxImageGeneratorFactory> logger) : IImageGeneratorFactory
{
    /// <inheritdoc />
    public IImageGenerator Create(GeneratorLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var setup = providers.CreateSessionOptions();
        if (setup.Warning is not null)
        {
            LogCudaFallback(logger, context.ModelName, context.Version, setup.Warning);
        }

        InferenceSession session;
        try
        {
            using (setup.Options)
            {
                session = new InferenceSession(context.ModelBytes, setup.Options);
            }
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"'{context.FilePath}' is not a loadable ONNX model: {ex.Message}", ex);
        }

        try
        {
            var (inputName, latentDim) = PickInput(session, context);
            var (outputName, shape) = PickOutput(session, context);
            return new OnnxImageGenerator(session, inputName, outputName, latentDim, shape, setup.Provider, setup.Warning);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (string Name, int LatentDim) PickInput(InferenceSession session, GeneratorLoadContext context)
    {
        var card = context.Card;
        var inputs = session.InputMetadata;
        string name;
        if (card.InputName is not null)
        {
            name = inputs.ContainsKey(card.InputName)
                ? card.InputName
                : throw new InvalidDataException($"'{context.FilePath}' has no input named '{card.InputName}' (the card's inputName).");
        }
        else if (inputs.Count == 1)
        {
            name = inputs.Keys.First();
        }
        else
        {
            throw new InvalidDataException($"'{context.FilePath}' has {inputs.Count} inputs; a generator takes one latent input [N, d].");
        }

        var meta = inputs[name];
        if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float || meta.Dimensions.Length != 2)
        {
            throw new InvalidDataException($"'{context.FilePath}' input '{name}' is not a float tensor [N, d].");
        }

        var dim = meta.Dimensions[1] > 0 ? meta.Dimensions[1] : card.LatentDim
            ?? throw new InvalidDataException($"'{context.FilePath}' input '{name}' has no fixed latent size and the card gives none.");
        if (card.LatentDim is { } cardDim && cardDim != dim)
        {
            throw new InvalidDataException($"'{context.FilePath}' takes latents of {dim} values but the card says latentDim {cardDim}.");
        }

        return (name, dim);
    }

    private static (string Name, ImageShape Shape) PickOutput(InferenceSession session, GeneratorLoadContext context)
    {
        var card = context.Card;
        var outputs = session.OutputMetadata;
        string name;
        if (card.OutputName is not null)
        {
            name = outputs.ContainsKey(card.OutputName)
                ? card.OutputName
                : throw new InvalidDataException($"'{context.FilePath}' has no output named '{card.OutputName}' (the card's outputName).");
        }
        else if (outputs.Count == 1)
        {
            name = outputs.Keys.First();
        }
        else
        {
            throw new InvalidDataException($"'{context.FilePath}' has {outputs.Count} outputs and the card names none (outputName).");
        }

        var meta = outputs[name];
        if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float || meta.Dimensions.Length != 4)
        {
            throw new InvalidDataException($"'{context.FilePath}' output '{name}' is not a float tensor [N, C, H, W].");
        }

        var channels = Fixed(meta.Dimensions[1], card.Channels, "channels", context.FilePath);
        var height = Fixed(meta.Dimensions[2], card.Height, "height", context.FilePath);
        var width = Fixed(meta.Dimensions[3], card.Width, "width", context.FilePath);
        if (channels is not (1 or 3))
        {
            throw new InvalidDataException($"'{context.FilePath}' output has {channels} channels; only 1 (grey) or 3 (RGB) can be served.");
        }

        return (name, new ImageShape(channels, height, width));
    }

    private static int Fixed(int graphValue, int? cardValue, string what, string file)
    {
        if (graphValue > 0)
        {
            if (cardValue is { } c && c != graphValue)
            {
                throw new InvalidDataException($"'{file}' output {what} is {graphValue} but the card says {c}.");
            }

            return graphValue;
        }

        return cardValue is > 0
            ? cardValue.Value
            : throw new InvalidDataException($"'{file}' output {what} is not fixed in the graph and the card gives none.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} version {Version}: {Warning}")]
    private static partial void LogCudaFallback(ILogger logger, string model, int version, string warning);
}
