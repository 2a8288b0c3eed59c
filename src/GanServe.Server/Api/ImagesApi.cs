using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GanServe.Core.Imaging;
using GanServe.Server.Batching;
using GanServe.Server.Configuration;
using GanServe.Server.Imaging;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace GanServe.Server.Api;

/// <summary>
/// <c>GET /v1/models/{model}/images/{seed}.{ext}</c> and its pinned-version twin: one image per URL,
/// cacheable, with a strong ETag so a repeat costs no inference.
/// </summary>
public static class ImagesApi
{
    private const string LatestCacheControl = "public, max-age=60";
    private const string PinnedCacheControl = "public, max-age=31536000, immutable";

    /// <summary>Maps the image routes.</summary>
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/models/{model}").WithTags("Images").AddModelRequestMetrics();
        group.MapGet("/images/{seed}.{ext}", GetLatestImage)
            .WithName("GetImage")
            .WithSummary("The image of one seed from the default (highest) version.")
            .WithMetadata(ImageResponseMetadata.Images)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesImageProblems();
        group.MapGet("/versions/{version}/images/{seed}.{ext}", GetPinnedImage)
            .WithName("GetPinnedImage")
            .WithSummary("The image of one seed from a pinned version (immutable).")
            .WithMetadata(ImageResponseMetadata.Images)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesImageProblems();
        return endpoints;
    }

    /// <summary>The image of <paramref name="seed"/> from the default version.</summary>
    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetLatestImage(
        string model, string seed, string ext, double? truncation, int? scale, HttpContext context, ModelCatalog catalog, IOptions<GanServeOptions> options) =>
        GetImage(model, null, seed, ext, truncation, scale, context, catalog, options.Value.Requests);

    /// <summary>The image of <paramref name="seed"/> from version <paramref name="version"/>.</summary>
    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetPinnedImage(
        string model, string version, string seed, string ext, double? truncation, int? scale, HttpContext context, ModelCatalog catalog, IOptions<GanServeOptions> options) =>
        GetImage(model, version, seed, ext, truncation, scale, context, catalog, options.Value.Requests);

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetImage(
        string model, string? version, string seed, string ext, double? truncation, int? scale, HttpContext context, ModelCatalog catalog, RequestOptions limits)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!catalog.TryGet(model, out var served))
        {
            return Problems.NotFound($"There is no model named '{model}'.");
        }

        var instance = GenerationSupport.FindVersion(served, version);
        if (instance is null)
        {
            return Problems.NotFound($"Model '{model}' has no version '{version}'.");
        }

        if (SeedProblem(seed, "The seed", out var seedValue) is { } seedProblem)
        {
            return seedProblem;
        }

        if (!ImageFormats.TryParse(ext, out var format))
        {
            return Problems.BadRequest($"The extension '.{ext}' is not served; use .png, .jpg, .jpeg or .webp.");
        }

        if (RenderQueryProblem(context.Request, truncation, scale, limits, out var psi, out var factor) is { } queryProblem)
        {
            return queryProblem;
        }

        if (!GenerationSupport.TryGetTimeout(context.Request, limits, out var timeout, out var timeoutError))
        {
            return Problems.BadRequest(timeoutError!);
        }

        var cacheControl = CacheControlFor(version);
        var generator = instance.Generator;
        EntityTagHeaderValue? etag = null;
        if (generator is not null)
        {
            var render = new RenderOptions(format, factor, Grid: false, Columns: 1);
            if (ImageRenderer.SizeProblem(1, generator.Shape, render, limits.MaxPixelsPerResponse) is { } sizeProblem)
            {
                return Problems.BadRequest(sizeProblem);
            }

            etag = ETagFor(instance, seedValue, psi, factor, format);
            if (Matches(context.Request, etag))
            {
                return NotModified(context.Response, instance, etag, cacheControl);
            }
        }

        var latentDim = generator?.LatentDim ?? 1;

        // The latent and the image's floats live in pooled arrays: the batcher reads the one and writes the other
        // before it answers success, and the floats are not used after encoding. Any other answer (a shutdown that
        // abandoned the request, a deadline) may come while a batch still holds them, so then they go to the GC
        // instead of back to the pool, where another request could rent them mid-write.
        var latents = ArrayPool<float>.Shared.Rent(latentDim);
        var pixels = generator is null ? null : ArrayPool<float>.Shared.Rent(generator.Shape.Values);
        byte[] bytes;
        GenerationOutcome? outcome = null;
        try
        {
            Core.Latents.SeedLatents.Fill(seedValue, latents.AsSpan(0, latentDim));
            Core.Latents.SeedLatents.Truncate(latents.AsSpan(0, latentDim), psi);
            outcome = await instance.SubmitAsync(latents.AsMemory(0, latentDim), 1, pixels, timeout, context.RequestAborted);
            if (!outcome.Succeeded)
            {
                return Problems.FromOutcome(outcome, context);
            }

            var shape = instance.Generator!.Shape;
            bytes = ImageRenderer.Render(outcome.Output!, 1, shape, served.Card?.OutputRange, new RenderOptions(format, factor, false, 1))[0];
        }
        finally
        {
            if (outcome is { Succeeded: true })
            {
                ArrayPool<float>.Shared.Return(latents);
                if (pixels is not null)
                {
                    ArrayPool<float>.Shared.Return(pixels);
                }
            }
        }

        GenerationSupport.AddImageHeaders(context.Response, instance, outcome.BatchSizes);
        SetCacheHeaders(context.Response, etag ?? ETagFor(instance, seedValue, psi, factor, format), cacheControl);
        return TypedResults.File(bytes, ImageFormats.ContentType(format));
    }

    internal static RouteHandlerBuilder ProducesImageProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout);

    /// <summary>A strong ETag over everything that decides the bytes: model, version, file, provider, seed and options.</summary>
    /// <remarks>
    /// The same hash over the same UTF-8 text as <see cref="ETagFor(ModelInstance, string)"/>, written into a stack
    /// buffer after the instance's cached prefix instead of through three strings and a byte array per request.
    /// </remarks>
    internal static EntityTagHeaderValue ETagFor(ModelInstance instance, uint seed, float psi, int scale, ImageFormat format)
    {
        var prefix = ETagPrefix(instance);
        Span<byte> key = stackalloc byte[512];
        if (prefix is null || prefix.Length > key.Length - 64)
        {
            return ETagFor(instance, string.Create(CultureInfo.InvariantCulture, $"{seed}\n{psi:R}\n{scale}\n{ImageFormats.Extension(format)}"));
        }

        prefix.CopyTo(key);
        var at = prefix.Length;
        seed.TryFormat(key[at..], out var written, default, CultureInfo.InvariantCulture);
        at += written;
        key[at++] = (byte)'\n';
        psi.TryFormat(key[at..], out written, "R", CultureInfo.InvariantCulture);
        at += written;
        key[at++] = (byte)'\n';
        scale.TryFormat(key[at..], out written, default, CultureInfo.InvariantCulture);
        at += written;
        key[at++] = (byte)'\n';
        at += Encoding.UTF8.GetBytes(ImageFormats.Extension(format), key[at..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(key[..at], hash);
        return Quoted(hash);
    }

    /// <summary>A strong ETag over the model version, its file and provider, and <paramref name="request"/> (what else decides the bytes).</summary>
    internal static EntityTagHeaderValue ETagFor(ModelInstance instance, string request)
    {
        var key = string.Create(
            CultureInfo.InvariantCulture,
            $"{instance.Name}\n{instance.Version}\n{instance.Sha256}\n{instance.Provider}\n{request}");
        return Quoted(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>The UTF-8 of "name\nversion\nsha256\nprovider\n", cached per instance once its provider is known.</summary>
    private static byte[]? ETagPrefix(ModelInstance instance)
    {
        if (instance.ETagPrefix is { } cached)
        {
            return cached;
        }

        if (instance.Provider is not { } provider)
        {
            return null;
        }

        var prefix = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{instance.Name}\n{instance.Version}\n{instance.Sha256}\n{provider}\n"));
        instance.ETagPrefix = prefix;
        return prefix;
    }

    /// <summary>The tag: the first 16 bytes of the hash in lower-case hex, quoted.</summary>
    private static EntityTagHeaderValue Quoted(ReadOnlySpan<byte> hash)
    {
        Span<char> text = stackalloc char[34];
        text[0] = '"';
        Convert.TryToHexStringLower(hash[..16], text[1..33], out _);
        text[33] = '"';
        return new EntityTagHeaderValue(new string(text));
    }

    /// <summary>The 400 for a seed that is not a whole number in 0..4294967295, or null with <paramref name="value"/> set.</summary>
    internal static ProblemHttpResult? SeedProblem(string? text, string name, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)
            ? null
            : Problems.BadRequest($"{name} must be a whole number from 0 to 4294967295, got '{text}'.");

    /// <summary>Checks the <c>truncation</c> and <c>scale</c> query values; the 400 for a bad one, or null with the values (defaults 1).</summary>
    internal static ProblemHttpResult? RenderQueryProblem(HttpRequest request, double? truncation, int? scale, RequestOptions limits, out float psi, out int factor)
    {
        psi = 1f;
        factor = scale ?? 1;

        // Query binding accepts thousands separators ("0,1" would read as 1): only plain numbers are meant.
        if (request.Query["truncation"].ToString().Contains(',', StringComparison.Ordinal))
        {
            return Problems.BadRequest($"truncation must be a plain number such as 0.7, got '{request.Query["truncation"]}'.");
        }

        var asked = truncation ?? 1.0;
        if (!(asked > 0 && asked <= 1 && (float)asked > 0))
        {
            return Problems.BadRequest($"truncation must be greater than 0 and at most 1, got {asked.ToString("R", CultureInfo.InvariantCulture)}.");
        }

        if (factor < 1 || factor > limits.MaxScale)
        {
            return Problems.BadRequest($"scale must be an integer from 1 to {limits.MaxScale}, got {factor}.");
        }

        psi = (float)asked;
        return null;
    }

    /// <summary>Cache-Control of an image URL: short for the default version (it may change), immutable for a pinned one.</summary>
    internal static string CacheControlFor(string? pinnedVersion) => pinnedVersion is null ? LatestCacheControl : PinnedCacheControl;

    /// <summary>Whether <c>If-None-Match</c> names <paramref name="etag"/> (or <c>*</c>).</summary>
    internal static bool Matches(HttpRequest request, EntityTagHeaderValue etag)
    {
        if (request.Headers.IfNoneMatch.Count == 0)
        {
            return false; // the common case, without building the typed headers
        }

        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;

        // If-None-Match uses the weak comparison (RFC 9110 13.1.2).
        return ifNoneMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: false));
    }

    /// <summary>The 304 for a matching <c>If-None-Match</c>: the cache and model headers, no body, no inference.</summary>
    internal static StatusCodeHttpResult NotModified(HttpResponse response, ModelInstance instance, EntityTagHeaderValue etag, string cacheControl)
    {
        SetCacheHeaders(response, etag, cacheControl);
        response.Headers[GenerationSupport.ModelVersionHeader] = instance.VersionText;
        response.Headers[GenerationSupport.ProviderHeader] = instance.Provider;
        return TypedResults.StatusCode(StatusCodes.Status304NotModified);
    }

    /// <summary>Sets <c>ETag</c> and <c>Cache-Control</c>.</summary>
    internal static void SetCacheHeaders(HttpResponse response, EntityTagHeaderValue etag, string cacheControl)
    {
        response.Headers.ETag = etag.ToString();
        response.Headers.CacheControl = cacheControl;
    }
}
