using GanServe.Server.Batching;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using GanServe.Server.Metrics;
using GanServe.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace GanServe.Server.Tests.Batching;

public sealed class ModelBatcherTests : IAsyncDisposable
{
    private const int LatentDim = 4;
    private static readonly TimeSpan LongTimeout = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeGenerator _generator = new(LatentDim, new ImageShape(1, 2, 3));
    private readonly List<ModelBatcher> _batchers = [];
    private ModelTelemetry? _telemetry;

    [Fact]
    public async Task Submit_WhileEngineBusy_QueuedRequestsShareTheNextBatch()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });
        _generator.Hold();
        var first = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        Assert.Equal(1, await _generator.NextCallAsync());

        var second = batcher.SubmitAsync(Latents(2, 2), 2, LongTimeout, default);
        var third = batcher.SubmitAsync(Latents(3, 3), 3, LongTimeout, default);
        Assert.Equal(5, batcher.QueueDepth);
        _generator.Release();

        var outcomes = await Task.WhenAll(first, second, third);
        Assert.Equal([1, 5], _generator.BatchSizes);
        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Equal([1], outcomes[0].BatchSizes);
        Assert.Equal([5], outcomes[1].BatchSizes);
        Assert.Equal([5], outcomes[2].BatchSizes);
        AssertImages(outcomes[1], Latents(2, 2));
        AssertImages(outcomes[2], Latents(3, 3));
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task Submit_WithCallerOutputArray_WritesTheImagesIntoIt()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });
        var output = Enumerable.Repeat(float.NaN, (2 * _generator.Shape.Values) + 5).ToArray();
        var latents = Latents(2, 4);

        var outcome = await batcher.SubmitAsync(latents, 2, output, LongTimeout, default);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Same(output, outcome.Output);
        var values = _generator.Shape.Values;
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(_generator.Expected(latents.AsSpan(i * LatentDim, LatentDim)), output.AsSpan(i * values, values).ToArray());
        }

        Assert.All(output[^5..], v => Assert.True(float.IsNaN(v))); // nothing written past the images
    }

    [Fact]
    public void Submit_WithTooSmallOutputArray_Throws()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });

        // Checked at admission, before anything is queued (the method is not async: it throws, it does not fault the task).
        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = batcher.SubmitAsync(Latents(2, 4), 2, new float[_generator.Shape.Values], LongTimeout, default);
        });

        Assert.Equal("output", error.ParamName);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task Submit_LargerThanMaxBatchSize_IsSplitAcrossBatches()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 4 });
        var latents = Latents(10, 7);

        var outcome = await batcher.SubmitAsync(latents, 10, LongTimeout, default);

        Assert.True(outcome.Succeeded);
        Assert.Equal([4, 4, 2], _generator.BatchSizes);
        Assert.Equal([4, 4, 2], outcome.BatchSizes);
        AssertImages(outcome, latents);
    }

    [Fact]
    public async Task Submit_SplitRemainder_SharesBatchWithLaterRequest()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 4 });
        _generator.Hold();
        var blocker = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var large = batcher.SubmitAsync(Latents(6, 2), 6, LongTimeout, default);
        var small = batcher.SubmitAsync(Latents(1, 3), 1, LongTimeout, default);
        _generator.Release();

        var outcomes = await Task.WhenAll(blocker, large, small);
        Assert.Equal([1, 4, 3], _generator.BatchSizes);
        Assert.Equal([4, 3], outcomes[1].BatchSizes);
        Assert.Equal([3], outcomes[2].BatchSizes);
        AssertImages(outcomes[1], Latents(6, 2));
        AssertImages(outcomes[2], Latents(1, 3));
    }

    [Fact]
    public async Task Submit_WithMaxQueueDelay_WaitsForMoreRequestsBeforeRunning()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(50) });

        var first = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        var second = batcher.SubmitAsync(Latents(2, 2), 2, LongTimeout, default);
        Assert.False(first.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(50));

        await Task.WhenAll(first, second);
        Assert.Equal([3], _generator.BatchSizes);
    }

    [Fact]
    public async Task Submit_WithMaxQueueDelayAndFullBatch_RunsWithoutWaiting()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 2, MaxQueueDelay = TimeSpan.FromSeconds(10) });

        var outcome = await batcher.SubmitAsync(Latents(2, 1), 2, LongTimeout, default);

        Assert.True(outcome.Succeeded);
        Assert.Equal([2], _generator.BatchSizes);
    }

    [Fact]
    public async Task Submit_QueueFull_RejectsAtOnceWithRetryAfter()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 1, QueueCapacity = 3 });
        _generator.Hold();
        var running = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var queued = batcher.SubmitAsync(Latents(3, 2), 3, LongTimeout, default);

        var rejected = batcher.SubmitAsync(Latents(1, 3), 1, LongTimeout, default);

        Assert.True(rejected.IsCompleted);
        var outcome = await rejected;
        Assert.Equal(GenerationFailure.QueueFull, outcome.Failure);
        Assert.True(outcome.RetryAfter >= TimeSpan.FromSeconds(1));
        _generator.Release();
        Assert.True((await running).Succeeded);
        Assert.True((await queued).Succeeded);
        Assert.Equal(1, _telemetry!.Snapshot().RejectedTotal);
    }

    [Fact]
    public async Task Submit_DeadlinePassesWhileQueued_FailsWithDeadlineAndNeverRuns()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });
        _generator.Hold();
        var running = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var late = batcher.SubmitAsync(Latents(2, 50), 2, TimeSpan.FromSeconds(1), default);

        _time.Advance(TimeSpan.FromSeconds(2));

        var outcome = await late;
        Assert.Equal(GenerationFailure.Deadline, outcome.Failure);
        Assert.Equal(0, batcher.QueueDepth);
        _generator.Release();
        await running;
        var after = await batcher.SubmitAsync(Latents(1, 3), 1, LongTimeout, default);
        Assert.True(after.Succeeded);
        Assert.Equal([1, 1], _generator.BatchSizes);
        Assert.DoesNotContain(_generator.RowsRun, r => r[0] == Latents(2, 50)[0]);
        Assert.Equal(1, _telemetry!.Snapshot().TimedOutTotal);
    }

    [Fact]
    public async Task Submit_ClientCancelsBeforeBatch_IsNotComputed()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });
        _generator.Hold();
        var running = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        using var client = new CancellationTokenSource();
        var cancelled = batcher.SubmitAsync(Latents(3, 60), 3, LongTimeout, client.Token);

        await client.CancelAsync();

        Assert.Equal(GenerationFailure.Cancelled, (await cancelled).Failure);
        Assert.Equal(0, batcher.QueueDepth);
        _generator.Release();
        await running;
        await batcher.SubmitAsync(Latents(1, 3), 1, LongTimeout, default);
        Assert.Equal([1, 1], _generator.BatchSizes);
        Assert.DoesNotContain(_generator.RowsRun, r => r[0] == Latents(3, 60)[0]);
    }

    [Fact]
    public async Task DrainAsync_WithQueuedWork_FinishesItAndRefusesNewWork()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 2 });
        _generator.Hold();
        var running = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var queued = batcher.SubmitAsync(Latents(3, 2), 3, LongTimeout, default);

        var drain = batcher.DrainAsync(CancellationToken.None);
        var refused = await batcher.SubmitAsync(Latents(1, 3), 1, LongTimeout, default);
        _generator.Release();
        await drain;

        Assert.Equal(GenerationFailure.Draining, refused.Failure);
        Assert.True((await running).Succeeded);
        Assert.True((await queued).Succeeded);
        Assert.Equal([1, 2, 1], _generator.BatchSizes);
    }

    [Fact]
    public async Task DrainAsync_PastShutdownTimeout_AnswersWhatIsLeft()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 1 });
        _generator.Hold();
        var running = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var queued = batcher.SubmitAsync(Latents(1, 2), 1, LongTimeout, default);
        using var shutdown = new CancellationTokenSource();
        await shutdown.CancelAsync();

        await batcher.DrainAsync(shutdown.Token);

        Assert.Equal(GenerationFailure.Draining, (await running).Failure);
        Assert.Equal(GenerationFailure.Draining, (await queued).Failure);
    }

    [Fact]
    public async Task Submit_GeneratorFails_FailsEveryRequestOfTheBatch()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8 });
        _generator.Hold();
        var blocker = batcher.SubmitAsync(Latents(1, 1), 1, LongTimeout, default);
        await _generator.NextCallAsync();
        var a = batcher.SubmitAsync(Latents(1, 2), 1, LongTimeout, default);
        var b = batcher.SubmitAsync(Latents(2, 3), 2, LongTimeout, default);
        _generator.FailCalls(true);
        _generator.Release();

        var outcomes = await Task.WhenAll(blocker, a, b);

        Assert.All(outcomes, o => Assert.Equal(GenerationFailure.InferenceFailed, o.Failure));
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task Submit_ManyConcurrentRequests_EachAnsweredExactlyOnceWithItsOwnImages()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 5, QueueCapacity = 10_000 });
        var random = new Random(5);
        using var cancel = new CancellationTokenSource();
        var requests = Enumerable.Range(0, 300).Select(i =>
        {
            var count = random.Next(1, 12);
            var latents = Latents(count, i * 100);
            var token = i % 7 == 0 ? cancel.Token : CancellationToken.None;
            return (latents, count, task: Task.Run(() => batcher.SubmitAsync(latents, count, LongTimeout, token)));
        }).ToList();
        await cancel.CancelAsync();

        var outcomes = await Task.WhenAll(requests.Select(r => r.task));

        for (var i = 0; i < requests.Count; i++)
        {
            var outcome = outcomes[i];
            if (outcome.Succeeded)
            {
                AssertImages(outcome, requests[i].latents);
                Assert.Equal(requests[i].count, outcome.BatchSizes.Count == 0 ? 0 : outcome.Output!.Length / _generator.Shape.Values);
            }
            else
            {
                Assert.Equal(GenerationFailure.Cancelled, outcome.Failure);
            }
        }

        Assert.All(_generator.BatchSizes, size => Assert.InRange(size, 1, 5));
        Assert.Equal(outcomes.Where(o => o.Succeeded).Sum(o => o.Output!.Length / _generator.Shape.Values), _generator.BatchSizes.Sum());
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task Submit_WithBuckets_PadsBatchToTheNextBucket()
    {
        var batcher = Start(new BatchingOptions { MaxBatchSize = 8, Buckets = [2, 4] });

        var outcome = await batcher.SubmitAsync(Latents(3, 1), 3, LongTimeout, default);

        Assert.Equal([4], _generator.BatchSizes);
        Assert.Equal([3], outcome.BatchSizes);
        AssertImages(outcome, Latents(3, 1));
        Assert.Equal([2, 4, 8], batcher.WarmupSizes);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in _batchers)
        {
            await batcher.DisposeAsync();
        }
    }

    private static float[] Latents(int count, int seed)
    {
        var values = new float[count * LatentDim];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ((seed * 31) + i) % 97 / 50f - 1f;
        }

        return values;
    }

    private ModelBatcher Start(BatchingOptions options)
    {
        _telemetry = TestTelemetry.Metrics(_time).For("test");
        var batcher = new ModelBatcher(_generator, ResiliencePipeline.Empty, options, _telemetry, _time, NullLogger.Instance);
        _batchers.Add(batcher);
        batcher.Start();
        return batcher;
    }

    private void AssertImages(GenerationOutcome outcome, float[] latents)
    {
        Assert.True(outcome.Succeeded, outcome.Detail);
        var values = _generator.Shape.Values;
        var count = latents.Length / LatentDim;
        Assert.Equal(count * values, outcome.Output!.Length);
        for (var i = 0; i < count; i++)
        {
            var expected = _generator.Expected(latents.AsSpan(i * LatentDim, LatentDim));
            Assert.Equal(expected, outcome.Output.AsSpan(i * values, values).ToArray());
        }
    }
}
