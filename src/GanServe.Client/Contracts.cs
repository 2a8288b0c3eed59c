using System.Text.Json;
using System.Text.Json.Serialization;

namespace GanServe.Client;

/// <summary>One served generator, as <c>GET /v1/models</c> lists it.</summary>
public sealed record ModelInfo(string Name, string? Version, int? LatentDim, int? Width, int? Height, int? Channels, bool Ready, string? Provider, string? Reason, string? Warning);

/// <summary>One version of a model.</summary>
public sealed record ModelVersionInfo(string Version, bool Ready, string? Provider, string Sha256, string? Reason);

/// <summary>An asset of a model and its URL.</summary>
public sealed record ModelAsset(string Name, string Url);

/// <summary>One model's detail: summary, versions, assets and the model card as written.</summary>
public sealed record ModelDetails(
    string Name,
    string? Version,
    int? LatentDim,
    int? Width,
    int? Height,
    int? Channels,
    bool Ready,
    string? Provider,
    string? Reason,
    string? Warning,
    IReadOnlyList<ModelVersionInfo> Versions,
    IReadOnlyList<ModelAsset> Assets,
    JsonElement? Card);

/// <summary>Image formats the server encodes.</summary>
public enum ImageFormat
{
    /// <summary>Lossless PNG.</summary>
    Png,

    /// <summary>JPEG, quality 90.</summary>
    Jpeg,

    /// <summary>Lossless WebP.</summary>
    Webp,
}

/// <summary>Options of <c>GET .../images/{seed}.{ext}</c>.</summary>
public sealed record ImageOptions
{
    /// <summary>The image format.</summary>
    public ImageFormat Format { get; init; } = ImageFormat.Png;

    /// <summary>Truncation psi, 0 &lt; psi &lt;= 1.</summary>
    public double? Truncation { get; init; }

    /// <summary>Nearest-neighbour upscale.</summary>
    public int? Scale { get; init; }

    /// <summary>A pinned version; null for the default.</summary>
    public string? Version { get; init; }
}

/// <summary>The body of <c>POST /v1/models/{model}/generate</c>; give seeds or latents.</summary>
public sealed record GenerateRequest
{
    /// <summary>Seeds, 0..4294967295.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<uint>? Seeds { get; init; }

    /// <summary>Latent vectors of the model's latent size.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<float[]>? Latents { get; init; }

    /// <summary>Truncation psi.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Truncation { get; init; }

    /// <summary>png, jpeg or webp.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ImageFormat? Format { get; init; }

    /// <summary>Upscale factor.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Scale { get; init; }

    /// <summary>One grid image.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Grid { get; init; }

    /// <summary>Grid columns.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Columns { get; init; }

    /// <summary>Return each latent before truncation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? ReturnLatents { get; init; }
}

/// <summary>One generated image.</summary>
public sealed record GeneratedImage(string ContentType, byte[] Data, uint? Seed, float[]? Latent);

/// <summary>The answer of a generation request.</summary>
public sealed record GenerateResult(string Model, string Version, string Provider, IReadOnlyList<GeneratedImage> Images, IReadOnlyList<float[]>? Latents);

/// <summary>An image fetched by seed, with the version and provider that made it.</summary>
public sealed record SeedImage(byte[] Data, string ContentType, string? ModelVersion, string? Provider);

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencyPercentiles(double P50, double P95, double P99);

/// <summary>One model's serving statistics.</summary>
public sealed record ModelStats(
    string? Provider,
    long RequestsTotal,
    long ImagesTotal,
    double ImagesPerSecond10s,
    double ImagesPerSecond60s,
    long BatchesTotal,
    double MeanBatchSize,
    IReadOnlyDictionary<string, long> BatchSizeHistogram,
    long QueueDepth,
    LatencyPercentiles LatencyMs,
    long RejectedTotal,
    long TimedOutTotal);

/// <summary>The answer of <c>GET /v1/stats</c>.</summary>
public sealed record ServerStats(double UptimeSeconds, IReadOnlyDictionary<string, ModelStats> Models);

/// <summary>One model's readiness.</summary>
public sealed record ModelReadiness(bool Ready, string? Version, string? Provider, string? Reason, string? Warning);

/// <summary>The answer of <c>/readyz</c> (given for 200 and 503 alike).</summary>
public sealed record Readiness(string Status, IReadOnlyDictionary<string, ModelReadiness> Models)
{
    /// <summary>Whether the server is ready.</summary>
    public bool IsReady => Status == "ready";
}
