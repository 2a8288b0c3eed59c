using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// Writes problem details as <c>application/problem+json</c> whatever the request's <c>Accept</c> says
/// (the framework's writer declines when Accept names only images), so every v1 error has its body.
/// </summary>
public sealed class ProblemJsonWriter(IOptions<JsonOptions> jsonOptions, IOptions<ProblemDetailsOptions> problemOptions) : IProblemDetailsWriter
{
    /// <inheritdoc />
    public bool CanWrite(ProblemDetailsContext context) => true;

    /// <inheritdoc />
    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        var problem = context.ProblemDetails;
        problem.Status ??= response.StatusCode;
        if (problem.Title is null)
        {
            var phrase = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(problem.Status.Value);
            problem.Title = string.IsNullOrEmpty(phrase) ? null : phrase;
        }

        problemOptions.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(response.WriteAsJsonAsync(
            problem,
            jsonOptions.Value.SerializerOptions,
            contentType: "application/problem+json",
            context.HttpContext.RequestAborted));
    }
}
