using System.Security.Cryptography;
using System.Text;
using GanServe.Server.Api;
using GanServe.Server.Configuration;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// When <c>GanServe:Security:ApiKeys</c> lists keys, <c>/v1</c> requests need one in <c>X-Api-Key</c> or
/// <c>Authorization: Bearer</c> (401 otherwise), and so do <c>/v2</c> requests but its health routes. Probes, metrics and the docs stay open.
/// </summary>
public sealed class ApiKeyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[][] _keyHashes;

    /// <summary>Hashes the configured keys once so comparisons take the same time for every key.</summary>
    public ApiKeyMiddleware(RequestDelegate next, IOptions<GanServeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _keyHashes = [.. options.Value.Security.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];
    }

    /// <summary>Runs the middleware.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        var isV2 = path.StartsWithSegments("/v2", StringComparison.OrdinalIgnoreCase);
        var isProtected = path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
            || (isV2 && !path.StartsWithSegments("/v2/health", StringComparison.OrdinalIgnoreCase));
        if (_keyHashes.Length == 0 || !isProtected)
        {
            await _next(context);
            return;
        }

        var presented = PresentedKey(context.Request);
        if (presented is null || !IsKnown(presented))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            var detail = presented is null ? "Send an API key in X-Api-Key or Authorization: Bearer." : "The API key is not valid.";
            if (isV2)
            {
                // The Open Inference Protocol's error body, as the rest of /v2 answers.
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new { error = detail });
                return;
            }

            await Problems.Unauthorized(detail).ExecuteAsync(context);
            return;
        }

        await _next(context);
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers["X-Api-Key"].ToString();
        if (header.Length > 0)
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private bool IsKnown(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var known = false;
        foreach (var candidate in _keyHashes)
        {
            known |= CryptographicOperations.FixedTimeEquals(hash, candidate);
        }

        return known;
    }
}
