namespace GanServe.Server.Batching;

/// <summary>Why a generation request got no images.</summary>
public enum GenerationFailure
{
    /// <summary>The queue had no room (429).</summary>
    QueueFull,

    /// <summary>The server is shutting down (503).</summary>
    Draining,

    /// <summary>The model's circuit breaker is open (503).</summary>
    CircuitOpen,

    /// <summary>The model is not loaded or not warmed up (503).</summary>
    NotReady,

    /// <summary>The request waited past its deadline and was never run (504).</summary>
    Deadline,

    /// <summary>The client went away before its batch ran (no one reads the answer).</summary>
    Cancelled,

    /// <summary>The forward pass failed or timed out (503).</summary>
    InferenceFailed,
}

/// <summary>The answer to one generation request: images (planar floats) or a failure.</summary>
public sealed class GenerationOutcome
{
    private GenerationOutcome(float[]? output, IReadOnlyList<int> batchSizes, GenerationFailure? failure, string? detail, TimeSpan? retryAfter)
    {
        Output = output;
        BatchSizes = batchSizes;
        Failure = failure;
        Detail = detail;
        RetryAfter = retryAfter;
    }

    /// <summary>N × C × H × W output values when it succeeded.</summary>
    public float[]? Output { get; }

    /// <summary>The sizes of the batches the request ran in.</summary>
    public IReadOnlyList<int> BatchSizes { get; }

    /// <summary>The failure, or null on success.</summary>
    public GenerationFailure? Failure { get; }

    /// <summary>A sentence for the problem details.</summary>
    public string? Detail { get; }

    /// <summary>When the client may try again.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether images came back.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>A successful outcome.</summary>
    public static GenerationOutcome Success(float[] output, IReadOnlyList<int> batchSizes) => new(output, batchSizes, null, null, null);

    /// <summary>A failed outcome.</summary>
    public static GenerationOutcome Failed(GenerationFailure failure, string detail, TimeSpan? retryAfter = null) =>
        new(null, [], failure, detail, retryAfter);
}
