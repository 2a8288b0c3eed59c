using GanServe.Server.Metrics;
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
        builder.AddEndpointFilter(static (context, next) =>
        {
            var http = context.HttpContext;
            var catalog = http.RequestServices.GetRequiredService<ModelCatalog>();
            if (http.Request.RouteValues["model"] is string name && catalog.TryGet(name, out var model) && model.Telemetry is { } telemetry)
            {
                var time = http.RequestServices.GetRequiredService<TimeProvider>();
                http.Response.OnCompleted(RequestTiming.CompletedAsync, new RequestTiming(http.Response, telemetry, time, time.GetTimestamp()));
            }

            return next(context);
        });

    /// <summary>What the completion callback needs, in one object (a closure would cost two).</summary>
    private sealed class RequestTiming(HttpResponse response, ModelTelemetry telemetry, TimeProvider time, long started)
    {
        public static readonly Func<object, Task> CompletedAsync = static state => ((RequestTiming)state).Complete();

        private Task Complete()
        {
            telemetry.RequestCompleted(response.StatusCode, time.GetElapsedTime(started));
            return Task.CompletedTask;
        }
    }
}
