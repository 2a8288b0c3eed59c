using GanServe.Server.Inference;
using Polly;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// Runs a generator's forward pass through a Polly chaos pipeline (fault and latency injection) whose switches the
/// test flips: with both off it is the inner generator, unchanged. Time comes from the test's clock, so injected
/// latency is a timer the test advances, not a real wait.
/// </summary>
internal sealed class ChaosGenerator : IImageGenerator
{
    private readonly IImageGenerator _inner;
    private readonly ResiliencePipeline _chaos;
    private volatile bool _faults;
    private volatile bool _latency;
    private int _faultsInjected;
    private int _latenciesInjected;
    private TaskCompletionSource _latencyStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChaosGenerator(IImageGenerator inner, TimeProvider time, TimeSpan latency)
    {
        _inner = inner;
        _chaos = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRate = 1.0,
                EnabledGenerator = _ => ValueTask.FromResult(_faults),
                FaultGenerator = new FaultGenerator().AddException(() => new InvalidOperationException("Injected fault: the engine failed.")),
                OnFaultInjected = _ =>
                {
                    Interlocked.Increment(ref _faultsInjected);
                    return ValueTask.CompletedTask;
                },
            })
            .AddChaosLatency(new ChaosLatencyStrategyOptions
            {
                InjectionRate = 1.0,
                EnabledGenerator = _ => ValueTask.FromResult(_latency),

                // Polly calls OnLatencyInjected only after the wait; the generator runs just before it starts.
                LatencyGenerator = _ =>
                {
                    Interlocked.Increment(ref _latenciesInjected);
                    Volatile.Read(ref _latencyStarted).TrySetResult();
                    return ValueTask.FromResult(latency);
                },
            })
            .Build();
    }

    public int LatentDim => _inner.LatentDim;

    public ImageShape Shape => _inner.Shape;

    public string Provider => _inner.Provider;

    public IImageGenerator Inner => _inner;

    public int FaultsInjected => Volatile.Read(ref _faultsInjected);

    public int LatenciesInjected => Volatile.Read(ref _latenciesInjected);

    /// <summary>Turns fault injection (every call throws) on or off.</summary>
    public void InjectFaults(bool on) => _faults = on;

    /// <summary>Turns latency injection (every call waits the configured latency on the test's clock) on or off.</summary>
    public void InjectLatency(bool on)
    {
        Volatile.Write(ref _latencyStarted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _latency = on;
    }

    /// <summary>Completes when the next call is about to start its injected wait (so the batch's timeout timer exists).</summary>
    public async Task LatencyStartedAsync(CancellationToken cancellationToken)
    {
        var started = Volatile.Read(ref _latencyStarted);
        await started.Task.WaitAsync(cancellationToken);
        Interlocked.CompareExchange(ref _latencyStarted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), started);
    }

    public ValueTask RunAsync(ReadOnlyMemory<float> latents, int batchSize, Memory<float> output, CancellationToken cancellationToken) =>
        _chaos.ExecuteAsync(
            static (state, ct) => state.Inner.RunAsync(state.Latents, state.BatchSize, state.Output, ct),
            (Inner: _inner, Latents: latents, BatchSize: batchSize, Output: output),
            cancellationToken);

    public void Dispose() => _inner.Dispose();
}

/// <summary>Wraps the generators of the named models in <see cref="ChaosGenerator"/>s; others are left as they are.</summary>
internal sealed class ChaosGeneratorFactory(IImageGeneratorFactory inner, TimeProvider time, TimeSpan latency, params string[] models) : IImageGeneratorFactory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ChaosGenerator> _made = [];

    public ChaosGenerator this[string model]
    {
        get
        {
            lock (_lock)
            {
                return _made[model];
            }
        }
    }

    public IImageGenerator Create(GeneratorLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var generator = inner.Create(context);
        if (!models.Contains(context.ModelName))
        {
            return generator;
        }

        var chaos = new ChaosGenerator(generator, time, latency);
        lock (_lock)
        {
            _made[context.ModelName] = chaos;
        }

        return chaos;
    }
}
