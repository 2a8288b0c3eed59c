namespace GanServe.LoadGen.Load;

/// <summary>How a request ended.</summary>
public enum OutcomeKind
{
    /// <summary>The server answered with a status code.</summary>
    Answered,

    /// <summary>No answer: connection refused or reset, a client-side timeout, a broken body.</summary>
    TransportError,

    /// <summary>The client gave up on purpose (<c>--cancel-fraction</c>).</summary>
    Cancelled,
}

/// <summary>One request's result.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="Status">The HTTP status (0 unless answered).</param>
/// <param name="LatencyMs">From its send time (closed loop) or its scheduled time (open loop) to the end of the answer's body.</param>
/// <param name="Images">Images in a 200 answer (0 otherwise).</param>
/// <param name="BatchSizeSum">Sum of the X-GanServe-Batch-Size values of the answer.</param>
/// <param name="BatchSizeCount">How many values X-GanServe-Batch-Size held.</param>
/// <param name="HasRetryAfter">Whether the answer carried Retry-After.</param>
public readonly record struct RequestOutcome(
    OutcomeKind Kind,
    int Status,
    double LatencyMs,
    int Images,
    long BatchSizeSum,
    int BatchSizeCount,
    bool HasRetryAfter)
{
    /// <summary>An answer with no batch header and no images.</summary>
    public static RequestOutcome Answer(int status, double latencyMs, int images = 0, bool hasRetryAfter = false) =>
        new(OutcomeKind.Answered, status, latencyMs, images, 0, 0, hasRetryAfter);

    /// <summary>A request that got no answer.</summary>
    public static RequestOutcome Error(double latencyMs) => new(OutcomeKind.TransportError, 0, latencyMs, 0, 0, 0, false);

    /// <summary>A request the client cancelled.</summary>
    public static RequestOutcome Cancel(double latencyMs) => new(OutcomeKind.Cancelled, 0, latencyMs, 0, 0, 0, false);
}
