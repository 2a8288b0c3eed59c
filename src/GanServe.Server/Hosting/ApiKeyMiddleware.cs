using GanServe.Server.Api;
using GanServe.Server.Configuration;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// With API keys configured, the model API (<c>/v1</c>, <c>/v2</c>) needs one in <c>X-Api-Key</c> or
/// <c>Authorization: Bearer</c>, and so do health and metrics where the options say; 401 otherwise. Registered
/// only when keys are configured, so an open server runs none of this.
/// </summary>
public sealed class ApiKeyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ApiKeyVerifier _keys;
    private readonly bool _healthRequiresKey;
    private readonly bool _metricsRequireKey;

    /// <summary>Creates the middleware.</summary>
    public ApiKeyMiddleware(RequestDelegate next, ApiKeyVerifier keys, IOptions<GanServeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _keys = keys;
        _healthRequiresKey = options.Value.Security.HealthRequiresKey;
        _metricsRequireKey = options.Value.Security.MetricsRequireKey;
    }

    /// <summary>Runs the middleware.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        var needsKey = ApiScope.Classify(path) switch
        {
            PathKind.Api => true,
            PathKind.Health => _healthRequiresKey,
            PathKind.Metrics => _metricsRequireKey,
            _ => false,
        };
        if (!needsKey)
        {
            await _next(context);
            return;
        }

        var client = _keys.Identify(context);
        if (client.IsValid)
        {
            await _next(context);
            return;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        var detail = client.Presented ? "The API key is not valid." : "Send an API key in X-Api-Key or Authorization: Bearer.";
        if (ApiScope.IsOpenInference(path))
        {
            // The Open Inference Protocol's error body, as the rest of /v2 answers.
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new { error = detail });
            return;
        }

        await Problems.Unauthorized(detail).ExecuteAsync(context);
    }
}
