using System.Globalization;
using GanServe.Server.Batching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GanServe.Server.Api;

/// <summary>
/// RFC 9457 problem details of the v1 API: a stable <c>type</c> per kind of error, a fixed title and a
/// detail that says what exactly was wrong.
/// </summary>
public static class Problems
{
    /// <summary>The prefix of every problem type.</summary>
    public const string TypePrefix = "urn:ganserve:problem:";

    /// <summary>400: the request is malformed or out of limits.</summary>
    public static ProblemHttpResult BadRequest(string detail) =>
        Make(StatusCodes.Status400BadRequest, "invalid-request", "The request is not valid.", detail);

    /// <summary>401: an API key is required.</summary>
    public static ProblemHttpResult Unauthorized(string detail) =>
        Make(StatusCodes.Status401Unauthorized, "unauthorized", "An API key is required.", detail);

    /// <summary>404: unknown model, version or asset.</summary>
    public static ProblemHttpResult NotFound(string detail) =>
        Make(StatusCodes.Status404NotFound, "not-found", "Not found.", detail);

    /// <summary>406: the Accept header cannot be met.</summary>
    public static ProblemHttpResult NotAcceptable(string detail) =>
        Make(StatusCodes.Status406NotAcceptable, "not-acceptable", "The answer cannot take the form asked for.", detail);

    /// <summary>413: the body is over the limit.</summary>
    public static ProblemHttpResult PayloadTooLarge(string detail) =>
        Make(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "The request body is too large.", detail);

    /// <summary>The problem for a generation that got no images; sets <c>Retry-After</c> where it applies.</summary>
    public static ProblemHttpResult FromOutcome(GenerationOutcome outcome, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(context);
        if (outcome.RetryAfter is { } retry)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var detail = outcome.Detail ?? string.Empty;
        return outcome.Failure switch
        {
            GenerationFailure.QueueFull => Make(StatusCodes.Status429TooManyRequests, "queue-full", "The model's queue is full.", detail),
            GenerationFailure.Draining => Draining(context, detail),
            GenerationFailure.NotReady => Make(StatusCodes.Status503ServiceUnavailable, "not-ready", "The model is not ready.", detail),
            GenerationFailure.CircuitOpen => Make(StatusCodes.Status503ServiceUnavailable, "circuit-open", "The model is failing; its circuit breaker is open.", detail),
            GenerationFailure.InferenceFailed => Make(StatusCodes.Status503ServiceUnavailable, "inference-failed", "The forward pass failed.", detail),
            GenerationFailure.Deadline => Make(StatusCodes.Status504GatewayTimeout, "deadline-exceeded", "The request waited past its deadline.", detail),

            GenerationFailure.Cancelled => ClientClosed(detail),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
        };
    }

    /// <summary>503 while shutting down; closes the connection so the client's next request goes to another replica.</summary>
    private static ProblemHttpResult Draining(HttpContext context, string detail)
    {
        context.Response.Headers.Connection = "close";
        return Make(StatusCodes.Status503ServiceUnavailable, "draining", "The server is shutting down.", detail);
    }

    /// <summary>Nobody reads this answer; 499 (client closed request) keeps it apart from server faults in the metrics.</summary>
    public static ProblemHttpResult ClientClosed(string detail) =>
        Make(499, "cancelled", "The client cancelled the request.", detail);

    /// <summary>A problem for a status the handlers do not make themselves (e.g. a rejected body).</summary>
    public static ProblemHttpResult ForStatus(int status, string detail) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge(detail),
        StatusCodes.Status400BadRequest => BadRequest(detail),
        _ => Make(status, "http-" + status.ToString(CultureInfo.InvariantCulture), ReasonPhrase(status), detail),
    };

    private static string ReasonPhrase(int status)
    {
        var phrase = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return string.IsNullOrEmpty(phrase) ? "Error." : phrase + ".";
    }

    private static ProblemHttpResult Make(int status, string slug, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + slug);
}
