namespace GanServe.Server.Batching;

/// <summary>
/// One admitted request inside a batcher. Its state moves Queued → InBatch → (Queued again when split) → Done;
/// only the transition to Done completes the task, so every request is answered exactly once.
/// </summary>
internal sealed class WorkItem
{
    private const int Queued = 0;
    private const int InBatch = 1;
    private const int Done = 2;

    private readonly TaskCompletionSource<GenerationOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _batchSizes = [];
    private int _state;

    public WorkItem(ReadOnlyMemory<float> latents, int count, int outputValuesPerImage, long admittedAt, float[]? output = null)
    {
        Latents = latents;
        Count = count;
        Output = output ?? new float[count * outputValuesPerImage];
        AdmittedAt = admittedAt;
    }

    /// <summary>The batcher that admitted it (the state of its token callbacks).</summary>
    public ModelBatcher? Owner { get; init; }

    /// <summary>Count × latent size values.</summary>
    public ReadOnlyMemory<float> Latents { get; }

    /// <summary>Images asked for.</summary>
    public int Count { get; }

    /// <summary>Where the images go (the caller's array when it gave one; it may be longer than needed).</summary>
    public float[] Output { get; }

    /// <summary>When it was admitted (a TimeProvider timestamp).</summary>
    public long AdmittedAt { get; }

    /// <summary>The first image not yet given to a batch.</summary>
    public int NextImage { get; set; }

    /// <summary>Images computed so far.</summary>
    public int CompletedImages { get; set; }

    /// <summary>Whether one batch already took part of it (the queue time is recorded once).</summary>
    public bool Started { get; set; }

    /// <summary>Images not yet given to a batch.</summary>
    public int Remaining => Count - NextImage;

    public Task<GenerationOutcome> Completion => _completion.Task;

    /// <summary>Fires at the deadline.</summary>
    public CancellationTokenSource? Deadline { get; set; }

    public CancellationToken ClientAborted { get; set; }

    public CancellationTokenRegistration DeadlineRegistration { get; set; }

    public CancellationTokenRegistration AbortRegistration { get; set; }

    public bool IsDone => Volatile.Read(ref _state) == Done;

    /// <summary>Takes the item into a batch; false when it was dropped meanwhile.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, InBatch, Queued) == Queued;

    /// <summary>Puts a split item back after one of its batches.</summary>
    public void Requeue() => Volatile.Write(ref _state, Queued);

    /// <summary>Drops a waiting item (deadline, cancellation); false when a batch holds it or it is done.</summary>
    public bool TryDropQueued(GenerationOutcome outcome) => TryFinish(Queued, outcome);

    /// <summary>Answers an item a batch holds.</summary>
    public bool TryFinishInBatch(GenerationOutcome outcome) => TryFinish(InBatch, outcome);

    /// <summary>Answers an item whatever its state (shutdown); false when it was already answered.</summary>
    public bool TryAbandon(GenerationOutcome outcome) =>
        TryFinish(Queued, outcome) || TryFinish(InBatch, outcome);

    public void AddBatchSize(int size) => _batchSizes.Add(size);

    public IReadOnlyList<int> BatchSizes => _batchSizes;

    private bool TryFinish(int from, GenerationOutcome outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Done, from) != from)
        {
            return false;
        }

        // Unregister never waits, so this is safe inside the token's own callback.
        DeadlineRegistration.Unregister();
        AbortRegistration.Unregister();
        Deadline?.Dispose();
        _completion.TrySetResult(outcome);
        return true;
    }
}
