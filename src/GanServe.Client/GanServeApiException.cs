using System.Net;

namespace GanServe.Client;

/// <summary>The server answered with an error (after any retries); carries its problem details.</summary>
public sealed class GanServeApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GanServeApiException(HttpStatusCode statusCode, string? problemType, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        StatusCode = statusCode;
        ProblemType = problemType;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates the exception.</summary>
    public GanServeApiException()
        : this(HttpStatusCode.InternalServerError, null, "The server answered with an error.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public GanServeApiException(string message)
        : this(HttpStatusCode.InternalServerError, null, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public GanServeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = HttpStatusCode.InternalServerError;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem type (<c>urn:ganserve:problem:...</c>), when the body was problem details.</summary>
    public string? ProblemType { get; }

    /// <summary>The server's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }
}
