using System.Globalization;
using GanServe.Server.Configuration;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace GanServe.Server.Api;

/// <summary>
/// <c>GET /v1/models/{model}/interpolate?from=A&amp;to=B&amp;frames=N</c> and its pinned-version twin: the slerp
/// between two seeds' latents as an animated GIF or a PNG strip, with the image endpoint's options and caching.
/// </summary>
public static class InterpolationApi
{
    /// <summary>The fewest frames: both ends.</summary>
    public const int MinFrames = 2;

    /// <summary>The most frames one answer may hold.</summary>
    public const int MaxFrames = 120;

    /// <summary>Frames when the query names none.</summary>
    public const int DefaultFrames = 16;

    /// <summary>Maps the interpolation routes.</summary>
    public static IEndpointRouteBuilder MapInterpolationApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/models/{model}").WithTags("Images").AddModelRequestMetrics();
        group.MapGet("/interpolate", GetLatestInterpolation)
            .WithName("Interpolate")
            .WithSummary("The spherical interpolation between two seeds' latents, as an animated GIF or (format=png) a PNG strip.")
            .WithMetadata(new ImageResponseMetadata("image/gif", "image/png"))
            .Produces(StatusCodes.Status304NotModified)
            .ProducesImageProblems();
        group.MapGet("/versions/{version}/interpolate", GetPinnedInterpolation)
            .WithName("InterpolatePinned")
            .WithSummary("The interpolation from a pinned version (immutable).")
            .WithMetadata(new ImageResponseMetadata("image/gif", "image/png"))
            .Produces(StatusCodes.Status304NotModified)
            .ProducesImageProblems();
        return endpoints;
    }

    /// <summary>The interpolation from seed <paramref name="fromSeed"/> to <paramref name="toSeed"/> on the default version.</summary>
    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetLatestInterpolation(
        string model,
        [FromQuery(Name = "from")] string? fromSeed,
        [FromQuery(Name = "to")] string? toSeed,
        int? frames,
        string? format,
        double? truncation,
        int? scale,
        HttpContext context,
        ModelCatalog catalog,
        IOptions<GanServeOptions> options) =>
        Interpolate(model, null, new InterpolationQuery(fromSeed, toSeed, frames, format, truncation, scale), context, catalog, options.Value);

    /// <summary>The interpolation from seed <paramref name="fromSeed"/> to <paramref name="toSeed"/> on version <paramref name="version"/>.</summary>
    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> GetPinnedInterpolation(
        string model,
        string version,
        [FromQuery(Name = "from")] string? fromSeed,
        [FromQuery(Name = "to")] string? toSeed,
        int? frames,
        string? format,
        double? truncation,
        int? scale,
        HttpContext context,
        ModelCatalog catalog,
        IOptions<GanServeOptions> options) =>
        Interpolate(model, version, new InterpolationQuery(fromSeed, toSeed, frames, format, truncation, scale), context, catalog, options.Value);

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> Interpolate(
        string model, string? version, InterpolationQuery query, HttpContext context, ModelCatalog catalog, GanServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limits = options.Requests;
        if (!catalog.TryGet(model, out var served))
        {
            return Problems.NotFound($"There is no model named '{model}'.");
        }

        var instance = GenerationSupport.FindVersion(served, version);
        if (instance is null)
        {
            return Problems.NotFound($"Model '{model}' has no version '{version}'.");
        }

        if (query.From is null || query.To is null)
        {
            return Problems.BadRequest("Name both ends of the interpolation as seeds: ?from=A&to=B.");
        }

        if (ImagesApi.SeedProblem(query.From, "from", out var fromSeed) is { } fromProblem)
        {
            return fromProblem;
        }

        if (ImagesApi.SeedProblem(query.To, "to", out var toSeed) is { } toProblem)
        {
            return toProblem;
        }

        // A request larger than the queue could never be admitted, so it is refused here rather than with a 429 forever.
        var maxFrames = Math.Min(MaxFrames, options.Batching.QueueCapacity);
        var frames = query.Frames ?? DefaultFrames;
        if (frames < MinFrames || frames > maxFrames)
        {
            return Problems.BadRequest($"frames must be an integer from {MinFrames} to {maxFrames} (both ends included), got {frames}.");
        }

        if (!TryParseFormat(query.Format, out var format))
        {
            return Problems.BadRequest($"The format '{query.Format}' is not served for interpolations; use gif (the default) or png (a strip).");
        }

        if (ImagesApi.RenderQueryProblem(context.Request, query.Truncation, query.Scale, limits, out var psi, out var factor) is { } queryProblem)
        {
            return queryProblem;
        }

        if (!GenerationSupport.TryGetTimeout(context.Request, limits, out var timeout, out var timeoutError))
        {
            return Problems.BadRequest(timeoutError!);
        }

        var generator = instance.Generator;
        if (generator is null)
        {
            // Not loaded yet: the latent size is unknown, and the answer is 503 whatever the query says.
            return Problems.FromOutcome(await instance.SubmitAsync(ReadOnlyMemory<float>.Empty, 1, timeout, context.RequestAborted), context);
        }

        if (InterpolationEncoder.SizeProblem(format, frames, generator.Shape, factor, limits.MaxPixelsPerResponse) is { } sizeProblem)
        {
            return Problems.BadRequest(sizeProblem);
        }

        var cacheControl = ImagesApi.CacheControlFor(version);
        var etag = ETagFor(instance, fromSeed, toSeed, frames, psi, factor, format);
        if (ImagesApi.Matches(context.Request, etag))
        {
            return ImagesApi.NotModified(context.Response, instance, etag, cacheControl);
        }

        var ends = GenerationSupport.SeedLatents([fromSeed, toSeed], generator.LatentDim);
        var path = InterpolationLatents.Slerp(ends.AsSpan(0, generator.LatentDim), ends.AsSpan(generator.LatentDim), frames);
        var latents = GenerationSupport.Truncated(path, psi, keepOriginal: false);

        // Through the model's queue like any request, so the frames share forward passes with other traffic.
        var outcome = await instance.SubmitAsync(latents, frames, timeout, context.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Problems.FromOutcome(outcome, context);
        }

        var bytes = InterpolationEncoder.Encode(outcome.Output!, frames, generator.Shape, served.Card?.OutputRange, format, factor);
        GenerationSupport.AddImageHeaders(context.Response, instance, outcome.BatchSizes);
        ImagesApi.SetCacheHeaders(context.Response, etag, cacheControl);
        return TypedResults.File(bytes, InterpolationEncoder.ContentType(format));
    }

    private static bool TryParseFormat(string? text, out InterpolationFormat format)
    {
        switch (text?.ToUpperInvariant())
        {
            case null:
            case "GIF":
                format = InterpolationFormat.Gif;
                return true;
            case "PNG":
                format = InterpolationFormat.PngStrip;
                return true;
            default:
                format = default;
                return false;
        }
    }

    private static EntityTagHeaderValue ETagFor(ModelInstance instance, uint from, uint to, int frames, float psi, int scale, InterpolationFormat format) =>
        ImagesApi.ETagFor(instance, string.Create(
            CultureInfo.InvariantCulture,
            $"interpolate\n{from}\n{to}\n{frames}\n{psi:R}\n{scale}\n{format}\n{InterpolationEncoder.FrameDelayCentiseconds}"));

    private sealed record InterpolationQuery(string? From, string? To, int? Frames, string? Format, double? Truncation, int? Scale);
}
