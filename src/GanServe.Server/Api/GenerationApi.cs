using System.Buffers;
using GanServe.Core.Imaging;
using GanServe.Server.Configuration;
using GanServe.Server.Imaging;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace GanServe.Server.Api;

/// <summary><c>POST /v1/models/{model}/generate</c>: images for seeds or latents, as JSON or (one image) raw bytes.</summary>
public static class GenerationApi
{
    /// <summary>Maps the generation route.</summary>
    public static IEndpointRouteBuilder MapGenerationApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("/v1/models/{model}").WithTags("Generation").AddModelRequestMetrics()
            .MapPost("/generate", Generate)
            .WithName("Generate")
            .WithSummary("Generates images for seeds or latent vectors.")
            .WithDescription("Send Accept: image/* to get the bytes of a single image (or a grid) instead of JSON.")
            .Accepts<GenerateRequest>("application/json")
            .Produces<GenerateResponse>(StatusCodes.Status200OK, "application/json")
            .WithMetadata(ImageResponseMetadata.Images)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return endpoints;
    }

    /// <summary>Generates the images a request asks for.</summary>
    public static async Task<Results<Ok<GenerateResponse>, FileContentHttpResult, ProblemHttpResult>> Generate(
        string model, HttpContext context, ModelCatalog catalog, IOptions<GanServeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var limits = options.Value.Requests;
        if (!catalog.TryGet(model, out var served) || served.Default is not { } instance)
        {
            return Problems.NotFound($"There is no model named '{model}'.");
        }

        var (body, bodyProblem) = await ReadBodyAsync(context.Request, limits.MaxBodyBytes);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        if (instance.Generator is not { } generator)
        {
            body!.Value.Dispose();

            // Not loaded yet: the latent size is unknown, and the answer is 503 whatever the body says.
            return Problems.FromOutcome(await instance.SubmitAsync(ReadOnlyMemory<float>.Empty, 1, limits.DefaultTimeout, context.RequestAborted), context);
        }

        var request = GenerateRequestParser.Parse(body!.Value.Span, generator.LatentDim, limits, out var error);
        body.Value.Dispose();
        if (request is null)
        {
            return Problems.BadRequest(error!);
        }

        var (wantsImage, acceptFormat, acceptProblem) = Negotiate(context.Request, request);
        if (acceptProblem is not null)
        {
            return acceptProblem;
        }

        var format = request.Format ?? acceptFormat ?? ImageFormat.Png;
        var columns = request.Columns ?? ImageLayout.DefaultColumns(request.Count);
        var render = new RenderOptions(format, request.Scale, request.Grid, columns);
        if (ImageRenderer.SizeProblem(request.Count, generator.Shape, render, limits.MaxPixelsPerResponse) is { } sizeProblem)
        {
            return Problems.BadRequest(sizeProblem);
        }

        if (!GenerationSupport.TryGetTimeout(context.Request, limits, out var timeout, out var timeoutError))
        {
            return Problems.BadRequest(timeoutError!);
        }

        var latents = request.Latents ?? GenerationSupport.SeedLatents(request.Seeds!, generator.LatentDim);
        var input = GenerationSupport.Truncated(latents, request.Truncation, keepOriginal: request.ReturnLatents);
        var outcome = await instance.SubmitAsync(input, request.Count, timeout, context.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Problems.FromOutcome(outcome, context);
        }

        // Only client latents can be this large (seeds give standard normal values).
        if (request.Latents is not null && !GenerationSupport.AllFinite(outcome.Output!))
        {
            return Problems.BadRequest(GenerationSupport.NonFiniteOutput);
        }

        // Encoding runs here, on the request's own continuation, never in the batch loop.
        var images = ImageRenderer.Render(outcome.Output!, request.Count, generator.Shape, served.Card?.OutputRange, render);
        GenerationSupport.AddImageHeaders(context.Response, instance, outcome.BatchSizes);
        var contentType = ImageFormats.ContentType(format);
        if (wantsImage)
        {
            return TypedResults.File(images[0], contentType);
        }

        return TypedResults.Ok(BuildResponse(instance, request, images, latents, contentType, generator.LatentDim));
    }

    private static GenerateResponse BuildResponse(
        ModelInstance instance, ParsedGenerateRequest request, IReadOnlyList<byte[]> images, float[] latents, string contentType, int latentDim)
    {
        float[] LatentOf(int i) => latents.AsSpan(i * latentDim, latentDim).ToArray();

        if (request.Grid)
        {
            var all = request.ReturnLatents ? Enumerable.Range(0, request.Count).Select(LatentOf).ToList() : null;
            return new GenerateResponse(instance.Name, instance.VersionText, instance.Provider!, [new GeneratedImage(contentType, images[0])], all);
        }

        var items = new GeneratedImage[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            items[i] = new GeneratedImage(contentType, images[i]) { Seed = request.Seeds?[i], Latent = request.ReturnLatents ? LatentOf(i) : null };
        }

        return new GenerateResponse(instance.Name, instance.VersionText, instance.Provider!, items, null);
    }

    /// <summary>
    /// Decides between JSON and raw image bytes from <c>Accept</c>: an image type ranked above JSON asks for bytes,
    /// which holds one image only (one sample or a grid), in a format the client accepts.
    /// </summary>
    private static (bool WantsImage, ImageFormat? Format, ProblemHttpResult? Problem) Negotiate(HttpRequest request, ParsedGenerateRequest parsed)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return (false, null, null);
        }

        double jsonQuality = 0, imageQuality = 0;
        var anyImage = false;
        var accepted = new List<(ImageFormat Format, double Quality)>();
        foreach (var media in accept)
        {
            var q = media.Quality ?? 1.0;
            if (q <= 0)
            {
                continue;
            }

            var type = media.Type.Value ?? string.Empty;
            var subtype = media.SubType.Value ?? string.Empty;
            if (type == "*" || (type.Equals("application", StringComparison.OrdinalIgnoreCase) && (subtype == "*" || subtype.Equals("json", StringComparison.OrdinalIgnoreCase) || subtype.Equals("problem+json", StringComparison.OrdinalIgnoreCase))))
            {
                jsonQuality = Math.Max(jsonQuality, q);
            }
            else if (type.Equals("image", StringComparison.OrdinalIgnoreCase))
            {
                imageQuality = Math.Max(imageQuality, q);
                if (subtype == "*")
                {
                    anyImage = true;
                }
                else if (TryFormatOf(subtype, out var format))
                {
                    accepted.Add((format, q));
                }
            }
        }

        if (imageQuality <= jsonQuality)
        {
            return (false, null, null);
        }

        if (parsed.Count > 1 && !parsed.Grid)
        {
            return (true, null, Problems.NotAcceptable(
                $"Accept asks for an image but the answer holds {parsed.Count} images; ask for JSON, one sample, or \"grid\": true."));
        }

        if (parsed.Format is { } asked)
        {
            return anyImage || accepted.Exists(a => a.Format == asked)
                ? (true, asked, null)
                : (true, null, Problems.NotAcceptable($"The body asks for {ImageFormats.Extension(asked)} but Accept does not allow {ImageFormats.ContentType(asked)}."));
        }

        if (accepted.Count > 0)
        {
            // The most preferred type; among equals, the first listed (OrderByDescending is stable).
            return (true, accepted.OrderByDescending(a => a.Quality).First().Format, null);
        }

        return anyImage
            ? (true, null, null)
            : (true, null, Problems.NotAcceptable("Accept names no image type this server makes (image/png, image/jpeg, image/webp)."));
    }

    private static bool TryFormatOf(string subtype, out ImageFormat format)
    {
        format = default;
        return !subtype.Equals("jpg", StringComparison.OrdinalIgnoreCase) && ImageFormats.TryParse(subtype, out format);
    }

    /// <summary>Reads the whole body up to the limit; a larger one is a 413, whatever the server in front enforces.</summary>
    internal static async Task<(PooledBytes? Body, ProblemHttpResult? Problem)> ReadBodyAsync(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit)
        {
            return (null, Problems.PayloadTooLarge($"The body has {request.ContentLength} bytes; the limit is {limit} (GanServe:Requests:MaxBodyBytes)."));
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, request.ContentLength is > 0 and var n ? n + 1 : 16 * 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // No RequestAborted here: a reset connection fails the read anyway, and a cancelled read leaves Kestrel's
                // body reader mid-read, so it logs a failure when it drains the body afterwards.
                var read = await request.Body.ReadAsync(buffer.AsMemory(length));
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    break;
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, Problems.ForStatus(ex.StatusCode, ex.Message));
        }
        catch (IOException)
        {
            // The client reset or closed the connection mid-body: nobody reads the answer, and it is not a server fault.
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, Problems.ClientClosed("The client closed the connection before the body arrived."));
        }

        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, Problems.PayloadTooLarge($"The body is larger than {limit} bytes (GanServe:Requests:MaxBodyBytes)."));
        }

        return (new PooledBytes(buffer, length), null);
    }

    /// <summary>A request body in a pooled buffer; dispose to return it.</summary>
    internal readonly struct PooledBytes(byte[] buffer, int length) : IDisposable
    {
        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
