using GanServe.Server.Api;
using Microsoft.AspNetCore.Diagnostics;

namespace GanServe.Server.Hosting;

/// <summary>
/// Turns the framework's <see cref="BadHttpRequestException"/> (query binding failures, a body over the
/// Kestrel limit) into v1 problem details with the exception's status, so no client input becomes a 500.
/// </summary>
public sealed class BadRequestExceptionHandler : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        await Problems.ForStatus(bad.StatusCode, bad.Message).ExecuteAsync(httpContext);
        return true;
    }
}
