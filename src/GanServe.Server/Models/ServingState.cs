namespace GanServe.Server.Models;

/// <summary>
/// Whether the service is shutting down (set once, on <c>ApplicationStopping</c>), and how many requests are
/// still being answered, so shutdown can wait for the last answer to be written before the host is disposed.
/// </summary>
public sealed class ServingState
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _draining;
    private long _inFlight;

    /// <summary>True from the moment shutdown began.</summary>
    public bool IsDraining => _draining;

    /// <summary>Requests that entered the pipeline and have not finished.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Marks the service as draining: readiness fails and new work is refused.</summary>
    public void BeginDraining()
    {
        _draining = true;
        if (InFlight == 0)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>Counts a request in; dispose the result when its answer is written.</summary>
    public RequestScope Enter()
    {
        Interlocked.Increment(ref _inFlight);
        return new RequestScope(this);
    }

    /// <summary>Completes when draining and no request is in flight, or when <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForIdleAsync(CancellationToken cancellationToken) =>
        _idle.Task.WaitAsync(cancellationToken);

    private void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>One request's membership in the in-flight count.</summary>
    public readonly struct RequestScope(ServingState state) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => state?.Leave();
    }
}
