using Microsoft.AspNetCore.Http.HttpResults;

namespace GanServe.Server.Metrics;

/// <summary>The body of <c>/v1/stats</c>.</summary>
/// <param name="UptimeSeconds">Seconds since start.</param>
/// <param name="Models">Per-model figures.</param>
public sealed record StatsReport(double UptimeSeconds, IReadOnlyDictionary<string, ModelStats> Models);

/// <summary><c>/metrics</c> (Prometheus text) and <c>/v1/stats</c> (JSON for people and the load tool).</summary>
public static class MetricsEndpoints
{
    /// <summary>Maps the metrics routes.</summary>
    public static IEndpointRouteBuilder MapMetricsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(string.Empty).WithTags("Metrics");
        group.MapGet("/metrics", Scrape)
            .WithName("Metrics")
            .WithSummary("Prometheus metrics in the text exposition format.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        group.MapGet("/v1/stats", Stats)
            .WithName("Stats")
            .WithSummary("Throughput, batching and latency figures per model.");
        return endpoints;
    }

    /// <summary>The Prometheus scrape.</summary>
    public static ContentHttpResult Scrape(PrometheusExporter exporter)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        return TypedResults.Text(exporter.Scrape(), PrometheusExporter.ContentType);
    }

    /// <summary>The JSON figures.</summary>
    public static Ok<StatsReport> Stats(GanServeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var models = metrics.Models.Values
            .OrderBy(m => m.Model, StringComparer.Ordinal)
            .ToDictionary(m => m.Model, m => m.Snapshot(), StringComparer.Ordinal);
        return TypedResults.Ok(new StatsReport(Math.Round(metrics.UptimeSeconds, 3), models));
    }
}
