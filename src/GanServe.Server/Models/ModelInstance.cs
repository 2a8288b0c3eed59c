using GanServe.Server.Batching;
using GanServe.Server.Inference;
using GanServe.Server.Metrics;
using GanServe.Server.Resilience;

namespace GanServe.Server.Models;

/// <summary>Where a model version is in its life.</summary>
public enum InstanceState
{
    /// <summary>Not loaded yet.</summary>
    Loading,

    /// <summary>Loaded and warmed up.</summary>
    Ready,

    /// <summary>Could not be loaded; see the reason.</summary>
    Failed,
}

/// <summary>
/// One version of one served model: its file, its generator and batcher once loaded, and whether it is
/// ready (loaded, warmed up, circuit closed). Admission goes through <see cref="SubmitAsync"/>.
/// </summary>
public sealed class ModelInstance
{
    private readonly Lock _lock = new();
    private readonly ServingState _serving;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _failure;

    internal ModelInstance(string name, int version, string filePath, string sha256, ModelTelemetry telemetry, ServingState serving)
    {
        Name = name;
        Version = version;
        FilePath = filePath;
        Sha256 = sha256;
        Telemetry = telemetry;
        _serving = serving;
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The version number.</summary>
    public int Version { get; }

    /// <summary>The version as the API writes it.</summary>
    public string VersionText => Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The ONNX file.</summary>
    public string FilePath { get; }

    /// <summary>The SHA-256 the card gives for the file.</summary>
    public string Sha256 { get; }

    /// <summary>The model's telemetry (shared by its versions).</summary>
    public ModelTelemetry Telemetry { get; }

    /// <summary>The start of this instance's image ETag keys (see <c>ImagesApi.ETagFor</c>), once the provider is known.</summary>
    internal byte[]? ETagPrefix { get; set; }

    /// <summary>Loading, ready or failed.</summary>
    public InstanceState State { get; private set; } = InstanceState.Loading;

    /// <summary>The generator once loaded.</summary>
    public IImageGenerator? Generator { get; private set; }

    /// <summary>The batcher once loaded.</summary>
    public ModelBatcher? Batcher { get; private set; }

    /// <summary>The circuit breaker once loaded.</summary>
    public BatchCircuit? Circuit { get; private set; }

    /// <summary>CPU or CUDA once loaded.</summary>
    public string? Provider => Generator?.Provider;

    /// <summary>Why the provider is not the one asked for, if so.</summary>
    public string? ProviderWarning => Generator?.ProviderWarning;

    /// <summary>Loaded, warmed up and with its circuit closed.</summary>
    public bool IsReady => State == InstanceState.Ready && Circuit?.IsOpen != true;

    /// <summary>Why it is not ready; null when it is.</summary>
    public string? NotReadyReason => State switch
    {
        InstanceState.Loading => Generator is null ? "loading" : "warming up",
        InstanceState.Failed => _failure,
        _ when Circuit?.IsOpen == true => "circuit open after repeated batch failures; a probe batch runs when the break ends",
        _ => null,
    };

    /// <summary>
    /// Admits a request: 503 while draining, not ready or with the circuit open; otherwise the batcher's answer.
    /// </summary>
    public Task<GenerationOutcome> SubmitAsync(ReadOnlyMemory<float> latents, int count, TimeSpan timeout, CancellationToken clientAborted) =>
        SubmitAsync(latents, count, null, timeout, clientAborted);

    /// <summary>As the other overload, with the images written into the caller's <paramref name="output"/> (see <see cref="ModelBatcher"/>).</summary>
    public Task<GenerationOutcome> SubmitAsync(ReadOnlyMemory<float> latents, int count, float[]? output, TimeSpan timeout, CancellationToken clientAborted)
    {
        if (_serving.IsDraining)
        {
            Telemetry.Rejected(RejectionReasons.Draining);
            return Task.FromResult(GenerationOutcome.Failed(GenerationFailure.Draining, "The server is shutting down.", TimeSpan.FromSeconds(1)));
        }

        if (State != InstanceState.Ready || Batcher is null)
        {
            return Task.FromResult(GenerationOutcome.Failed(
                GenerationFailure.NotReady,
                $"Model '{Name}' version {Version} is not ready: {NotReadyReason}.",
                TimeSpan.FromSeconds(5)));
        }

        if (Circuit?.IsOpen == true)
        {
            Telemetry.Rejected(RejectionReasons.CircuitOpen);
            return Task.FromResult(GenerationOutcome.Failed(
                GenerationFailure.CircuitOpen,
                $"Model '{Name}' version {Version} failed repeatedly; its circuit breaker is open.",
                Circuit.RetryAfter));
        }

        return Batcher.SubmitAsync(latents, count, output, timeout, clientAborted);
    }

    /// <summary>Completes when <paramref name="condition"/> holds (checked at each state change); for tests and tools.</summary>
    public async Task WaitUntilAsync(Func<ModelInstance, bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void Loaded(IImageGenerator generator)
    {
        Generator = generator;
        Telemetry.Provider ??= generator.Provider;
        NotifyChanged();
    }

    internal void Started(ModelBatcher batcher, BatchCircuit circuit)
    {
        Batcher = batcher;
        Circuit = circuit;
        circuit.StateChanged += (_, _) => NotifyChanged();
        State = InstanceState.Ready;
        NotifyChanged();
    }

    internal void Fail(string reason)
    {
        _failure = reason;
        State = InstanceState.Failed;
        NotifyChanged();
    }

    private void NotifyChanged()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }
}
