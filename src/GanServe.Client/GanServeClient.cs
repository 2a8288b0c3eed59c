using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GanServe.Client;

/// <summary>
/// A typed client for GanServe's v1 API. Register it with <see cref="GanServeClientServiceCollectionExtensions.AddGanServeClient"/>,
/// which puts retries (honouring <c>Retry-After</c>), a circuit breaker and timeouts in front of every call.
/// </summary>
public sealed class GanServeClient(HttpClient http)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Set on a request to skip retries (probes answer 503 by design).</summary>
    internal static readonly HttpRequestOptionsKey<bool> NoRetry = new("GanServe.NoRetry");

    /// <summary>The server's address.</summary>
    public Uri? BaseAddress => http.BaseAddress;

    /// <summary>Every generator served.</summary>
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var list = await GetJsonAsync<ModelList>("v1/models", cancellationToken).ConfigureAwait(false);
        return list.Models;
    }

    /// <summary>One model's detail and card.</summary>
    public Task<ModelDetails> GetModelAsync(string model, CancellationToken cancellationToken = default) =>
        GetJsonAsync<ModelDetails>($"v1/models/{Escape(model)}", cancellationToken);

    /// <summary>The image of one seed.</summary>
    public async Task<SeedImage> GetImageAsync(string model, uint seed, ImageOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageOptions();
        var path = options.Version is null ? $"v1/models/{Escape(model)}" : $"v1/models/{Escape(model)}/versions/{Escape(options.Version)}";
        var query = new List<string>();
        if (options.Truncation is { } psi)
        {
            query.Add("truncation=" + psi.ToString("R", CultureInfo.InvariantCulture));
        }

        if (options.Scale is { } scale)
        {
            query.Add("scale=" + scale.ToString(CultureInfo.InvariantCulture));
        }

        var uri = $"{path}/images/{seed.ToString(CultureInfo.InvariantCulture)}.{Extension(options.Format)}" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new SeedImage(bytes, response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream", Header(response, "X-GanServe-Model-Version"), Header(response, "X-GanServe-Provider"));
    }

    /// <summary>Generates images for seeds or latents (JSON answer, images decoded from base64).</summary>
    public async Task<GenerateResult> GenerateAsync(string model, GenerateRequest body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/models/{Escape(model)}/generate")
        {
            Content = JsonContent.Create(body, options: Json),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<GenerateResult>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throughput, batch sizes and latency percentiles per model.</summary>
    public Task<ServerStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync<ServerStats>("v1/stats", cancellationToken);

    /// <summary>Liveness: true when <c>/healthz</c> answers 200. Not retried.</summary>
    public async Task<bool> IsLiveAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "healthz");
        request.Options.Set(NoRetry, true);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>Readiness with the per-model breakdown (200 and 503 both carry it). Not retried.</summary>
    public async Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "readyz");
        request.Options.Set(NoRetry, true);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable))
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await ReadJsonAsync<Readiness>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> GetJsonAsync<T>(string uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new GanServeApiException(response.StatusCode, null, $"The server answered {(int)response.StatusCode} with an empty body.");

    private static async Task<GanServeApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta
            ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        string? type = null;
        string? detail = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (text.Length > 0)
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
                    detail = root.TryGetProperty("detail", out var d) ? d.GetString()
                        : root.TryGetProperty("error", out var e) ? e.GetString()
                        : null;
                }
            }
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's page); the status says enough.
        }

        var status = (int)response.StatusCode;
        var message = detail is null ? $"The server answered {status} {response.ReasonPhrase}." : $"{status}: {detail}";
        return new GanServeApiException(response.StatusCode, type, message, retryAfter);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Escape(string segment)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment);
        return Uri.EscapeDataString(segment);
    }

    private static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Png => "png",
        ImageFormat.Jpeg => "jpg",
        ImageFormat.Webp => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private sealed record ModelList(IReadOnlyList<ModelInfo> Models);
}
