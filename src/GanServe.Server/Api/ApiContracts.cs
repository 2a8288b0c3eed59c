using System.Text.Json;
using System.Text.Json.Serialization;

namespace GanServe.Server.Api;

/// <summary>One model in <c>GET /v1/models</c>.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The default (highest) version.</param>
/// <param name="LatentDim">Latent vector length.</param>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Channels">1 (grey) or 3 (RGB).</param>
/// <param name="Ready">Loaded, warmed up and with its circuit closed.</param>
/// <param name="Provider">CPU or CUDA; null until loaded.</param>
/// <param name="Reason">Why it is not ready.</param>
/// <param name="Warning">A note such as a CUDA fallback to CPU.</param>
public sealed record ModelSummary(
    string Name,
    string? Version,
    int? LatentDim,
    int? Width,
    int? Height,
    int? Channels,
    bool Ready,
    string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Warning);

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
/// <param name="Models">Every generator in the repository.</param>
public sealed record ModelList(IReadOnlyList<ModelSummary> Models);

/// <summary>One version in a model's detail.</summary>
/// <param name="Version">Version number.</param>
/// <param name="Ready">Whether it serves.</param>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="Sha256">SHA-256 of its ONNX file.</param>
/// <param name="Reason">Why it is not ready.</param>
public sealed record ModelVersionSummary(
    string Version,
    bool Ready,
    string? Provider,
    string Sha256,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

/// <summary>An asset file of a model and where to get it.</summary>
/// <param name="Name">File name.</param>
/// <param name="Url">Its URL on this server.</param>
public sealed record AssetLink(string Name, string Url);

/// <summary>The answer of <c>GET /v1/models/{model}</c>: the summary fields, versions, assets and the model card.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The default version.</param>
/// <param name="LatentDim">Latent vector length.</param>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Channels">1 or 3.</param>
/// <param name="Ready">Whether every version serves.</param>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="Reason">Why it is not ready.</param>
/// <param name="Warning">A note such as a CUDA fallback to CPU.</param>
/// <param name="Versions">Every version.</param>
/// <param name="Assets">The card's assets.</param>
/// <param name="Card">The model card as written (training, quality...).</param>
public sealed record ModelDetail(
    string Name,
    string? Version,
    int? LatentDim,
    int? Width,
    int? Height,
    int? Channels,
    bool Ready,
    string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Warning,
    IReadOnlyList<ModelVersionSummary> Versions,
    IReadOnlyList<AssetLink> Assets,
    JsonElement? Card);

/// <summary>
/// The body of <c>POST /v1/models/{model}/generate</c> (documentation only: the server parses the body itself
/// so every mistake gets a precise 400). Give exactly one of <see cref="Seeds"/> and <see cref="Latents"/>;
/// everything else is optional.
/// </summary>
public sealed class GenerateRequest
{
    /// <summary>Seeds, 0..4294967295; give these or latents.</summary>
    public IReadOnlyList<uint>? Seeds { get; init; }

    /// <summary>Latent vectors of the model's latent size; give these or seeds.</summary>
    public IReadOnlyList<IReadOnlyList<float>>? Latents { get; init; }

    /// <summary>0 &lt; psi &lt;= 1 (default 1).</summary>
    public float? Truncation { get; init; }

    /// <summary>png (default), jpeg or webp.</summary>
    public string? Format { get; init; }

    /// <summary>Integer upscaling factor (default 1).</summary>
    public int? Scale { get; init; }

    /// <summary>One grid image, samples row-major.</summary>
    public bool? Grid { get; init; }

    /// <summary>Grid columns (default ceil(sqrt(n))).</summary>
    public int? Columns { get; init; }

    /// <summary>Include each latent (before truncation).</summary>
    public bool? ReturnLatents { get; init; }
}

/// <summary>One image of a generation answer.</summary>
/// <param name="ContentType">The image's media type.</param>
/// <param name="Data">The encoded image, base64.</param>
public sealed record GeneratedImage(string ContentType, byte[] Data)
{
    /// <summary>The seed, when the request gave seeds (and no grid).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public uint? Seed { get; init; }

    /// <summary>The latent before truncation, when asked for (and no grid).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Latent { get; init; }
}

/// <summary>The JSON answer of a generation request.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The version that ran.</param>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="Images">The images, in request order (one for a grid).</param>
/// <param name="Latents">With a grid and returnLatents: every latent, in request order.</param>
public sealed record GenerateResponse(
    string Model,
    string Version,
    string Provider,
    IReadOnlyList<GeneratedImage> Images,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<float[]>? Latents);
