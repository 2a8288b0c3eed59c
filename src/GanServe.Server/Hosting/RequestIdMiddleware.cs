using System.Diagnostics;

namespace GanServe.Server.Hosting;

/// <summary>
/// Gives every answer an <c>X-Request-Id</c> (the client's when it sent a sensible one) and a W3C
/// <c>traceresponse</c> naming the trace the request ran in (the caller's <c>traceparent</c> trace id is kept).
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    /// <summary>The request id header.</summary>
    public const string Header = "X-Request-Id";

    /// <summary>Runs the middleware.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // ASP.NET Core starts an Activity from traceparent when anything listens (logging does by default);
        // when nothing did, continue the caller's trace here so the id still propagates.
        using var fallback = Activity.Current is null ? StartFromHeader(context.Request) : null;
        var activity = Activity.Current;

        var id = context.Request.Headers[Header].ToString();
        if (!IsAcceptable(id))
        {
            id = activity?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");
        }

        context.TraceIdentifier = id;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = id;
            if (activity is not null)
            {
                context.Response.Headers["traceresponse"] = $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}";
            }

            return Task.CompletedTask;
        });
        await next(context);
    }

    private static Activity? StartFromHeader(HttpRequest request)
    {
        var activity = new Activity("GanServe.Request");
        if (request.Headers.TryGetValue("traceparent", out var parent) && ActivityContext.TryParse(parent.ToString(), request.Headers["tracestate"].ToString(), out var context))
        {
            activity.SetParentId(context.TraceId, context.SpanId, context.TraceFlags);
        }

        return activity.Start();
    }

    private static bool IsAcceptable(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => c > ' ' && c < 127);
}
