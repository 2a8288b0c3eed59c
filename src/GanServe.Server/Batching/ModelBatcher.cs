using System.Buffers;
using System.Threading.Channels;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using GanServe.Server.Metrics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace GanServe.Server.Batching;

/// <summary>
/// One model version's queue and batch loop. Admission counts images against the queue capacity and never
/// blocks; the loop waits for the first request, drains whatever else is waiting up to the batch size
/// (splitting larger requests), optionally waits <c>MaxQueueDelay</c> for more, and runs one forward pass
/// through the resilience pipeline. Outputs are copied to each request; encoding happens on the request's side.
/// </summary>
public sealed partial class ModelBatcher : IAsyncDisposable
{
    private static readonly Action<object?> DropAtDeadline = static state =>
    {
        var item = (WorkItem)state!;
        item.Owner!.Drop(item, GenerationFailure.Deadline);
    };

    private static readonly Action<object?> DropCancelled = static state =>
    {
        var item = (WorkItem)state!;
        item.Owner!.Drop(item, GenerationFailure.Cancelled);
    };

    private readonly Channel<WorkItem> _channel = Channel.CreateUnbounded<WorkItem>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly IImageGenerator _generator;
    private readonly ResiliencePipeline _pipeline;
    private readonly BatchingOptions _options;
    private readonly ModelTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int[] _buckets;
    private readonly float[] _inputBuffer;
    private readonly float[] _outputBuffer;
    private readonly List<Segment> _batch = [];
    private readonly CancellationTokenSource _abort = new();
    private Task? _loop;
    private WorkItem? _carry;
    private long _queuedImages;
    private double _secondsPerImage;
    private TaskCompletionSource? _depthWaiter;

    /// <summary>Creates a batcher; call <see cref="Start"/> to run its loop.</summary>
    public ModelBatcher(
        IImageGenerator generator,
        ResiliencePipeline pipeline,
        BatchingOptions options,
        ModelTelemetry telemetry,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        _generator = generator;
        _pipeline = pipeline;
        _options = options;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _buckets = EffectiveBuckets(options);
        var largest = _buckets.Length == 0 ? options.MaxBatchSize : _buckets[^1];
        _inputBuffer = GC.AllocateArray<float>(largest * generator.LatentDim, pinned: true);
        _outputBuffer = GC.AllocateArray<float>(largest * generator.Shape.Values, pinned: true);
    }

    /// <summary>Images waiting (not yet in a batch).</summary>
    public long QueueDepth => Interlocked.Read(ref _queuedImages);

    /// <summary>The batch sizes warm-up should run: each bucket, or 1 and MaxBatchSize.</summary>
    public IReadOnlyList<int> WarmupSizes => _buckets.Length != 0 ? _buckets : _options.MaxBatchSize == 1 ? [1] : [1, _options.MaxBatchSize];

    /// <summary>Starts the batch loop.</summary>
    public void Start() => _loop ??= Task.Run(RunLoopAsync);

    /// <summary>
    /// Admits a request of <paramref name="count"/> images (latents of count × LatentDim values, already truncated).
    /// Answers at once with a failure when the queue is full or closed; otherwise when the images are ready, the
    /// deadline passed before the request ran, or the client cancelled.
    /// </summary>
    public Task<GenerationOutcome> SubmitAsync(ReadOnlyMemory<float> latents, int count, TimeSpan timeout, CancellationToken clientAborted) =>
        SubmitAsync(latents, count, null, timeout, clientAborted);

    /// <summary>
    /// As <see cref="SubmitAsync(ReadOnlyMemory{float}, int, TimeSpan, CancellationToken)"/>, with the images written
    /// into <paramref name="output"/> (at least count × Shape.Values values; null: a new array). The batcher writes it
    /// only before the answer, so the caller may reuse (or return to a pool) once the task has completed.
    /// </summary>
    public Task<GenerationOutcome> SubmitAsync(ReadOnlyMemory<float> latents, int count, float[]? output, TimeSpan timeout, CancellationToken clientAborted)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (latents.Length != count * _generator.LatentDim)
        {
            throw new ArgumentException($"Expected {count * _generator.LatentDim} latent values, got {latents.Length}.", nameof(latents));
        }

        if (output is not null && output.Length < count * _generator.Shape.Values)
        {
            throw new ArgumentException($"Expected room for {count * _generator.Shape.Values} output values, got {output.Length}.", nameof(output));
        }

        if (AddQueued(count) > _options.QueueCapacity)
        {
            AddQueued(-count);
            _telemetry.Rejected(RejectionReasons.QueueFull);
            return Task.FromResult(GenerationOutcome.Failed(
                GenerationFailure.QueueFull,
                $"The queue holds {QueueDepth} of {_options.QueueCapacity} images; this request needs {count}.",
                EstimateRetryAfter()));
        }

        var item = new WorkItem(latents, count, _generator.Shape.Values, _time.GetTimestamp(), output)
        {
            Owner = this,
            Deadline = new CancellationTokenSource(timeout, _time),
            ClientAborted = clientAborted,
        };

        // A token that fires before the write drops the item at once (Queued → Done); the loop then skips it.
        // The item is the callbacks' state (it knows its batcher), so registering boxes nothing.
        item.DeadlineRegistration = item.Deadline.Token.UnsafeRegister(DropAtDeadline, item);
        if (clientAborted.CanBeCanceled)
        {
            item.AbortRegistration = clientAborted.UnsafeRegister(DropCancelled, item);
        }

        if (!_channel.Writer.TryWrite(item))
        {
            if (item.TryAbandon(GenerationOutcome.Failed(GenerationFailure.Draining, "The server is shutting down.", TimeSpan.FromSeconds(1))))
            {
                AddQueued(-count);
                _telemetry.Rejected(RejectionReasons.Draining);
            }
        }

        return item.Completion;
    }

    /// <summary>Stops admitting; the loop finishes what is queued and ends.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Waits for the loop to finish the queue; when <paramref name="cancellationToken"/> fires first, aborts and answers the rest with 503.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        Complete();
        if (_loop is null)
        {
            AbandonQueued();
            return;
        }

        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Complete();
        await _abort.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        AbandonQueued();
        _abort.Dispose();
    }

    /// <summary>Completes when the queue holds exactly <paramref name="images"/> images (for tests; no polling).</summary>
    internal async Task WaitForQueueDepthAsync(long images, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _depthWaiter, changed);
            if (QueueDepth == images)
            {
                return;
            }

            await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The padded size a batch of <paramref name="images"/> runs at.</summary>
    internal int PaddedSize(int images)
    {
        foreach (var bucket in _buckets)
        {
            if (bucket >= images)
            {
                return bucket;
            }
        }

        return images;
    }

    private static int[] EffectiveBuckets(BatchingOptions options)
    {
        if (options.Buckets is not { Length: > 0 } buckets)
        {
            return [];
        }

        return [.. buckets.Where(b => b >= 1 && b <= options.MaxBatchSize).Append(options.MaxBatchSize).Distinct().Order()];
    }

    private void Drop(WorkItem item, GenerationFailure reason)
    {
        var remaining = item.Remaining;
        var detail = reason == GenerationFailure.Deadline
            ? "The request waited past its deadline in the queue and was not run."
            : "The client cancelled the request before it ran.";
        if (item.TryDropQueued(GenerationOutcome.Failed(reason, detail)))
        {
            AddQueued(-remaining);
            _telemetry.Rejected(reason == GenerationFailure.Deadline ? RejectionReasons.Deadline : RejectionReasons.Cancelled);
        }
    }

    private async Task RunLoopAsync()
    {
        var abort = _abort.Token;
        try
        {
            while (_carry is not null || await _channel.Reader.WaitToReadAsync(abort).ConfigureAwait(false))
            {
                var images = Fill(0);
                if (images == 0)
                {
                    continue;
                }

                if (_options.MaxQueueDelay > TimeSpan.Zero && images < _options.MaxBatchSize)
                {
                    images = await WaitForMoreAsync(images, abort).ConfigureAwait(false);
                }

                await RunBatchAsync(images, abort).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Aborted at the shutdown deadline: what is left is answered below.
        }
        catch (Exception ex)
        {
            LogLoopFailed(_logger, ex);
            throw;
        }
        finally
        {
            AbandonBatch();
            AbandonQueued();
        }
    }

    private async Task<int> WaitForMoreAsync(int images, CancellationToken abort)
    {
        // The delay counts from the oldest request's admission, so a request never waits longer than MaxQueueDelay
        // for company, however late the loop picked it up.
        var remaining = _options.MaxQueueDelay - _time.GetElapsedTime(_batch[0].Item.AdmittedAt);
        if (remaining <= TimeSpan.Zero)
        {
            return images;
        }

        using var timer = new CancellationTokenSource(remaining, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(abort, timer.Token);
        while (images < _options.MaxBatchSize)
        {
            try
            {
                if (!await _channel.Reader.WaitToReadAsync(both.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                break;
            }

            images = Fill(images);
        }

        return images;
    }

    /// <summary>Takes waiting work (the split remainder first) until the batch is full or nothing is waiting.</summary>
    private int Fill(int images)
    {
        while (images < _options.MaxBatchSize)
        {
            var item = _carry;
            _carry = null;
            if (item is null && !_channel.Reader.TryRead(out item))
            {
                break;
            }

            if (!item.TryTake())
            {
                continue; // dropped while waiting
            }

            if (item.ClientAborted.IsCancellationRequested || item.Deadline!.IsCancellationRequested)
            {
                // The token fired while a batch held it (so the callback could not drop it).
                item.Requeue();
                Drop(item, item.ClientAborted.IsCancellationRequested ? GenerationFailure.Cancelled : GenerationFailure.Deadline);
                continue;
            }

            var take = Math.Min(item.Remaining, _options.MaxBatchSize - images);
            _batch.Add(new Segment(item, item.NextImage, take, images));
            item.NextImage += take;
            AddQueued(-take);
            if (!item.Started)
            {
                item.Started = true;
                _telemetry.Queued(_time.GetElapsedTime(item.AdmittedAt));
            }

            images += take;
            if (item.Remaining > 0)
            {
                _carry = item;
            }
        }

        return images;
    }

    private async Task RunBatchAsync(int images, CancellationToken abort)
    {
        var latentDim = _generator.LatentDim;
        var values = _generator.Shape.Values;
        var padded = PaddedSize(images);
        var input = padded * latentDim <= _inputBuffer.Length ? _inputBuffer : ArrayPool<float>.Shared.Rent(padded * latentDim);
        var output = padded * values <= _outputBuffer.Length ? _outputBuffer : ArrayPool<float>.Shared.Rent(padded * values);
        try
        {
            GatherLatents(_batch, input.AsSpan(0, padded * latentDim), images, latentDim);
            var started = _time.GetTimestamp();
            GenerationOutcome? failure = null;
            try
            {
                await _pipeline.ExecuteAsync(
                    static (state, ct) => state.Generator.RunAsync(state.Input.AsMemory(0, state.Padded * state.Generator.LatentDim), state.Padded, state.Output, ct),
                    (Generator: _generator, Input: input, Output: output, Padded: padded),
                    abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                failure = GenerationOutcome.Failed(GenerationFailure.Draining, "The server shut down before the batch finished.", TimeSpan.FromSeconds(1));
            }
            catch (BrokenCircuitException ex)
            {
                failure = GenerationOutcome.Failed(
                    GenerationFailure.CircuitOpen,
                    "The model's circuit breaker is open after repeated failures.",
                    ex.RetryAfter ?? TimeSpan.FromSeconds(1));
            }
            catch (TimeoutRejectedException ex)
            {
                LogBatchFailed(_logger, images, ex);
                failure = GenerationOutcome.Failed(GenerationFailure.InferenceFailed, "The forward pass timed out.", TimeSpan.FromSeconds(1));
            }
            catch (Exception ex)
            {
                LogBatchFailed(_logger, images, ex);
                failure = GenerationOutcome.Failed(GenerationFailure.InferenceFailed, "The forward pass failed.", TimeSpan.FromSeconds(1));
            }

            if (failure is not null)
            {
                FailBatch(failure);
                return;
            }

            _telemetry.BatchCompleted(images, _time.GetElapsedTime(started));
            MeasureDrainRate(images, _time.GetElapsedTime(started));
            foreach (var s in _batch)
            {
                ScatterOutput(s, output, values);
                s.Item.CompletedImages += s.Count;
                s.Item.AddBatchSize(images);
                if (s.Item.CompletedImages == s.Item.Count)
                {
                    s.Item.TryFinishInBatch(GenerationOutcome.Success(s.Item.Output, s.Item.BatchSizes));
                }
                else if (!ReferenceEquals(s.Item, _carry))
                {
                    // Only the carry can be unfinished; anything else is a bug worth failing loudly.
                    s.Item.TryFinishInBatch(GenerationOutcome.Failed(GenerationFailure.InferenceFailed, "Lost part of the request."));
                }
                else
                {
                    s.Item.Requeue();
                }
            }
        }
        finally
        {
            _batch.Clear();
            if (!ReferenceEquals(input, _inputBuffer))
            {
                ArrayPool<float>.Shared.Return(input);
            }

            if (!ReferenceEquals(output, _outputBuffer))
            {
                ArrayPool<float>.Shared.Return(output);
            }
        }
    }

    /// <summary>Copies each segment's latents to its place in the batch input and zeroes the padding after <paramref name="images"/>.</summary>
    internal static void GatherLatents(List<Segment> batch, Span<float> input, int images, int latentDim)
    {
        foreach (var s in batch)
        {
            s.Item.Latents.Span.Slice(s.FirstImage * latentDim, s.Count * latentDim)
                .CopyTo(input[(s.BatchOffset * latentDim)..]);
        }

        input[(images * latentDim)..].Clear();
    }

    /// <summary>Copies one segment's images from the batch output to its request.</summary>
    internal static void ScatterOutput(Segment segment, float[] output, int valuesPerImage) =>
        output.AsSpan(segment.BatchOffset * valuesPerImage, segment.Count * valuesPerImage)
            .CopyTo(segment.Item.Output.AsSpan(segment.FirstImage * valuesPerImage));

    private void FailBatch(GenerationOutcome failure)
    {
        var reason = failure.Failure switch
        {
            GenerationFailure.CircuitOpen => RejectionReasons.CircuitOpen,
            GenerationFailure.Draining => RejectionReasons.Draining,
            _ => null,
        };
        foreach (var s in _batch)
        {
            if (ReferenceEquals(s.Item, _carry))
            {
                AddQueued(-_carry.Remaining);
                _carry = null;
            }

            if (s.Item.TryFinishInBatch(failure) && reason is not null)
            {
                _telemetry.Rejected(reason);
            }
        }

        _batch.Clear();
    }

    private void AbandonBatch()
    {
        if (_batch.Count != 0)
        {
            FailBatch(GenerationOutcome.Failed(GenerationFailure.Draining, "The server shut down before the batch ran.", TimeSpan.FromSeconds(1)));
        }
    }

    private void AbandonQueued()
    {
        var outcome = GenerationOutcome.Failed(GenerationFailure.Draining, "The server shut down before the request ran.", TimeSpan.FromSeconds(1));
        if (_carry is { } carry)
        {
            _carry = null;
            AddQueued(-carry.Remaining);
            carry.TryAbandon(outcome);
        }

        while (_channel.Reader.TryRead(out var item))
        {
            var remaining = item.Remaining;
            if (item.TryAbandon(outcome))
            {
                AddQueued(-remaining);
                _telemetry.Rejected(RejectionReasons.Draining);
            }
        }
    }

    private long AddQueued(long delta)
    {
        var depth = Interlocked.Add(ref _queuedImages, delta);
        if (Volatile.Read(ref _depthWaiter) is not null)
        {
            Interlocked.Exchange(ref _depthWaiter, null)?.TrySetResult();
        }

        return depth;
    }

    private void MeasureDrainRate(int images, TimeSpan elapsed)
    {
        // An exponential moving average of seconds per image; read by admission without a lock.
        var sample = elapsed.TotalSeconds / images;
        var previous = Volatile.Read(ref _secondsPerImage);
        Volatile.Write(ref _secondsPerImage, previous == 0 ? sample : (0.8 * previous) + (0.2 * sample));
    }

    private TimeSpan EstimateRetryAfter()
    {
        var perImage = Volatile.Read(ref _secondsPerImage);
        var seconds = perImage <= 0 ? 1 : Math.Ceiling(QueueDepth * perImage);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Images} images failed")]
    private static partial void LogBatchFailed(ILogger logger, int images, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The batch loop stopped unexpectedly")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    /// <summary>The part of one request a batch runs: its images FirstImage.. (Count of them) at BatchOffset.</summary>
    internal readonly record struct Segment(WorkItem Item, int FirstImage, int Count, int BatchOffset);
}
