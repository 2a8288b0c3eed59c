namespace GanServe.Server.Hosting;

/// <summary>What a request path is, for API keys and rate limits.</summary>
public enum PathKind
{
    /// <summary>The model API: <c>/v1/...</c> and <c>/v2/...</c> except the kinds below.</summary>
    Api,

    /// <summary>Probes: <c>/healthz</c>, <c>/readyz</c>, <c>/v2/health/...</c>.</summary>
    Health,

    /// <summary>Figures: <c>/metrics</c>, <c>/v1/stats</c>.</summary>
    Metrics,

    /// <summary>Everything else: the demo page, its assets, the OpenAPI document and <c>/docs</c>.</summary>
    Open,
}

/// <summary>Sorts request paths into <see cref="PathKind"/>s (case-insensitively, as routing matches them).</summary>
public static class ApiScope
{
    /// <summary>The kind of <paramref name="path"/>.</summary>
    public static PathKind Classify(PathString path)
    {
        const StringComparison IgnoreCase = StringComparison.OrdinalIgnoreCase;
        if (path.StartsWithSegments("/v1", IgnoreCase))
        {
            return path.StartsWithSegments("/v1/stats", IgnoreCase) ? PathKind.Metrics : PathKind.Api;
        }

        if (path.StartsWithSegments("/v2", IgnoreCase))
        {
            return path.StartsWithSegments("/v2/health", IgnoreCase) ? PathKind.Health : PathKind.Api;
        }

        if (path.StartsWithSegments("/healthz", IgnoreCase) || path.StartsWithSegments("/readyz", IgnoreCase))
        {
            return PathKind.Health;
        }

        return path.StartsWithSegments("/metrics", IgnoreCase) ? PathKind.Metrics : PathKind.Open;
    }

    /// <summary>True under <c>/v2</c>, whose errors are the Open Inference Protocol's <c>{"error"}</c>.</summary>
    public static bool IsOpenInference(PathString path) => path.StartsWithSegments("/v2", StringComparison.OrdinalIgnoreCase);
}
