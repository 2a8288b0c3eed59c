using GanServe.Server.Models;

namespace GanServe.Server.Api;

/// <summary>
/// Counts requests to a known model by status and times them (<c>ganserve_requests_total</c>,
/// <c>ganserve_request_seconds</c>). Unknown names are not recorded, so clients cannot grow the label set.
/// </summary>
public static class ModelRequestMetrics
{
    /// <summary>Adds the filter to every endpoint of <paramref name="builder"/>.</summary>
    public static TBuilder AddModelRequestMetrics<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var catalog = http.RequestServices.GetRequiredService<ModelCatalog>();
            if (http.Request.RouteValues["model"] is string name && catalog.TryGet(name, out var model) && model.Versions.Count > 0)
            {
                var time = http.RequestServices.GetRequiredService<TimeProvider>();
                var started = time.GetTimestamp();
                var telemetry = model.Versions.Values.First().Telemetry;
                http.Response.OnCompleted(() =>
                {
                    telemetry.RequestCompleted(http.Response.StatusCode, time.GetElapsedTime(started));
                    return Task.CompletedTask;
                });
            }

            return await next(context);
        });
}
