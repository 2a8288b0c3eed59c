using System.Text.Json;
using System.Text.Json.Serialization;

namespace GanServe.Core.Cards;

/// <summary>
/// The model card <c>models/&lt;name&gt;/model.json</c>: what a model is, how it was made and how
/// good it is. Shared by the training program (which writes it) and the server (which reads it).
/// </summary>
public sealed class ModelCard
{
    /// <summary>Card kind of a servable image generator.</summary>
    public const string GeneratorKind = "generator";

    /// <summary>Card kind of the evaluation classifier.</summary>
    public const string ClassifierKind = "classifier";

    /// <summary>The model's name, matching its folder.</summary>
    public required string Name { get; set; }

    /// <summary><c>generator</c> or <c>classifier</c>; the server serves generators only.</summary>
    public required string Kind { get; set; }

    /// <summary>One sentence for people.</summary>
    public string? Description { get; set; }

    /// <summary>Training data set.</summary>
    public string? Data { get; set; }

    /// <summary>A short description of the network.</summary>
    public string? Architecture { get; set; }

    /// <summary>Length of the latent vector the generator takes.</summary>
    public int? LatentDim { get; set; }

    /// <summary>Output image channels (1 or 3).</summary>
    public int? Channels { get; set; }

    /// <summary>Output image width.</summary>
    public int? Width { get; set; }

    /// <summary>Output image height.</summary>
    public int? Height { get; set; }

    /// <summary>Name of the graph input.</summary>
    public string? InputName { get; set; }

    /// <summary>Name of the graph output.</summary>
    public string? OutputName { get; set; }

    /// <summary>The range of output values; [-1, 1] unless said otherwise.</summary>
    public float[]? OutputRange { get; set; }

    /// <summary>Which weights were exported (e.g. the exponential moving average of the generator).</summary>
    public string? ExportedWeights { get; set; }

    /// <summary>ONNX opset of the exported graph.</summary>
    public int? Opset { get; set; }

    /// <summary>The exporter's parity check against the training framework.</summary>
    public ParityReport? Parity { get; set; }

    /// <summary>How the model was trained.</summary>
    public TrainingReport? Training { get; set; }

    /// <summary>Versions keyed by version number (as text), each with its file and SHA-256.</summary>
    public Dictionary<string, ModelVersionInfo> Versions { get; set; } = [];

    /// <summary>File names of assets beside the card that may be served (sample grid, charts).</summary>
    public List<string> Assets { get; set; } = [];

    /// <summary>Measured sample quality; null until evaluated.</summary>
    public JsonElement? Quality { get; set; }

    /// <summary>Any further fields, kept when the card is rewritten.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The highest version number listed.</summary>
    [JsonIgnore]
    public int? LatestVersion => Versions.Keys
        .Select(k => int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : (int?)null)
        .Where(v => v.HasValue)
        .Max();
}

/// <summary>One exported file of a model.</summary>
public sealed class ModelVersionInfo
{
    /// <summary>Path of the ONNX file relative to the model folder, e.g. <c>1/model.onnx</c>.</summary>
    public required string File { get; set; }

    /// <summary>Lower-case hex SHA-256 of that file.</summary>
    public required string Sha256 { get; set; }

    /// <summary>When it was exported (UTC).</summary>
    public DateTimeOffset? Created { get; set; }
}

/// <summary>How closely ONNX Runtime reproduced the training framework on random latents.</summary>
public sealed class ParityReport
{
    /// <summary>Largest absolute difference seen.</summary>
    public double MaxAbsDifference { get; set; }

    /// <summary>The tolerance the exporter enforced.</summary>
    public double Tolerance { get; set; }

    /// <summary>Batch sizes compared.</summary>
    public int[] BatchSizes { get; set; } = [];
}

/// <summary>Training figures recorded by the training program.</summary>
public sealed class TrainingReport
{
    /// <summary>Generator loss form: non-saturating or minimax.</summary>
    public string? Loss { get; set; }

    /// <summary>Epochs trained.</summary>
    public int Epochs { get; set; }

    /// <summary>Optimiser steps taken.</summary>
    public long Steps { get; set; }

    /// <summary>Batch size.</summary>
    public int BatchSize { get; set; }

    /// <summary>Wall-clock seconds spent training.</summary>
    public double WallTimeSeconds { get; set; }

    /// <summary>Random seed of the run.</summary>
    public long Seed { get; set; }

    /// <summary>Mean losses and discriminator outputs over the last epoch.</summary>
    public Dictionary<string, double> FinalLosses { get; set; } = [];

    /// <summary>Hyper-parameters (learning rates, betas, EMA decay...).</summary>
    public Dictionary<string, double> Hyperparameters { get; set; } = [];

    /// <summary>Where the generator's starting weights came from, when not from a fresh initialisation.</summary>
    public string? InitialisedFrom { get; set; }
}

/// <summary>Reads and writes model cards as indented camelCase JSON.</summary>
public static class ModelCardJson
{
    /// <summary>The serializer options of model cards.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,

        // Cards are files for people, not HTML: keep arrows and multiplication signs readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a card; throws <see cref="InvalidDataException"/> naming the file when it is not a valid card.</summary>
    public static ModelCard Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<ModelCard>(stream, Options)
                ?? throw new InvalidDataException($"Model card '{path}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Model card '{path}' is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>Writes a card.</summary>
    public static void Save(ModelCard card, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(card, Options) + "\n");
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }
}
