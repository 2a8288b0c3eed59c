using System.Text.Json.Serialization;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GanServe.Server.Health;

/// <summary>One model's entry in <c>/readyz</c>.</summary>
/// <param name="Ready">Loaded, warmed up, circuit closed.</param>
/// <param name="Version">The default version.</param>
/// <param name="Provider">CPU or CUDA.</param>
/// <param name="Reason">Why it is not ready; null when it is.</param>
/// <param name="Warning">A note such as a CUDA fallback to CPU.</param>
public sealed record ModelReadiness(
    bool Ready,
    string? Version,
    string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Warning);

/// <summary>The body of <c>/readyz</c>.</summary>
/// <param name="Status">ready, not_ready or draining.</param>
/// <param name="Models">Each generator's readiness.</param>
public sealed record ReadinessReport(string Status, IReadOnlyDictionary<string, ModelReadiness> Models);

/// <summary>The body of <c>/healthz</c>.</summary>
/// <param name="Status">Always "alive".</param>
public sealed record LivenessReport(string Status);

/// <summary>Liveness and readiness probes, mapped in every environment.</summary>
public static class HealthEndpoints
{
    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(string.Empty).WithTags("Health");
        group.MapGet("/healthz", Live)
            .WithName("Liveness")
            .WithSummary("200 while the process runs.");
        group.MapGet("/readyz", Ready)
            .WithName("Readiness")
            .WithSummary("200 when every generator is loaded, warmed up and its circuit closed, and the server is not draining.")
            .Produces<ReadinessReport>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    /// <summary>Liveness: the process answers.</summary>
    public static Ok<LivenessReport> Live() => TypedResults.Ok(new LivenessReport("alive"));

    /// <summary>Readiness with a per-model breakdown; 503 when anything is not ready.</summary>
    public static Results<Ok<ReadinessReport>, JsonHttpResult<ReadinessReport>> Ready(ModelCatalog catalog, ServingState serving)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(serving);
        var models = catalog.Models.Values.ToDictionary(
            m => m.Name,
            m => new ModelReadiness(m.IsReady, m.Default?.VersionText, m.Default?.Provider, m.NotReadyReason, m.Default?.ProviderWarning),
            StringComparer.Ordinal);
        var status = serving.IsDraining ? "draining"
            : models.Count > 0 && models.Values.All(m => m.Ready) ? "ready"
            : "not_ready";
        var report = new ReadinessReport(status, models);
        return status == "ready"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
