using GanServe.Core.Cards;
using GanServe.Server.Batching;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using GanServe.Server.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Models;

/// <summary>
/// Loads every model version in the background (SHA-256 check, session, warm-up) and starts its batcher;
/// on shutdown marks the service draining at once and lets the batchers finish their queues.
/// </summary>
public sealed partial class ModelLoader(
    ModelCatalog catalog,
    IImageGeneratorFactory factory,
    ExecutionProviders providers,
    ServingState serving,
    IHostApplicationLifetime lifetime,
    IOptions<GanServeOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<ModelLoader>();
    // Never disposed: it has no timer, and the host may stop and dispose this service in either order.
    private readonly CancellationTokenSource _stopping = new();
    private Task _loading = Task.CompletedTask;
    private int _disposed;

    /// <summary>Completes when every version has been loaded or has failed (for tests and tools).</summary>
    public Task Loading => _loading;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Provider=Cuda without CUDA stops the process here, before it serves anything.
        providers.EnsureRequiredProviderLoads();
        lifetime.ApplicationStopping.Register(serving.BeginDraining);
        _loading = Task.Run(() => LoadAllAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs before any service stops, so the server still listens: readiness already says draining and new work
    /// gets 503 for <c>DrainDelay</c>, long enough for a load balancer's next probe to see it.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        serving.BeginDraining();
        var delay = options.Value.DrainDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out first; stopping goes on.
        }
    }

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        serving.BeginDraining();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var drains = catalog.Instances
            .Where(i => i.Batcher is not null)
            .Select(i => i.Batcher!.DrainAsync(cancellationToken));
        await Task.WhenAll(drains).ConfigureAwait(false);

        // The batchers have answered everything; let the handlers write those answers before the host goes away.
        try
        {
            await serving.WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogDrainCutShort(_logger, serving.InFlight);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var instance in catalog.Instances)
        {
            if (instance.Batcher is { } batcher)
            {
                await batcher.DisposeAsync().ConfigureAwait(false);
            }

            instance.Circuit?.Dispose();
            instance.Generator?.Dispose();
        }
    }

    private async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        foreach (var model in catalog.Models.Values)
        {
            if (model.Card is null)
            {
                continue;
            }

            foreach (var instance in model.Versions.Values)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                await LoadAsync(model.Card, instance, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task LoadAsync(ModelCard card, ModelInstance instance, CancellationToken cancellationToken)
    {
        IImageGenerator? generator = null;
        try
        {
            var bytes = await ReadCheckedAsync(instance, cancellationToken).ConfigureAwait(false);
            generator = factory.Create(new GeneratorLoadContext(instance.Name, instance.Version, instance.FilePath, bytes, card));
            instance.Loaded(generator);

            var settings = options.Value;
            var logger = loggers.CreateLogger($"GanServe.Server.Batching.ModelBatcher.{instance.Name}");
            var circuit = new BatchCircuit(settings.Resilience, time, logger);
            var batcher = new ModelBatcher(generator, circuit.Pipeline, settings.Batching, instance.Telemetry, time, logger);
            await WarmUpAsync(generator, batcher.WarmupSizes, cancellationToken).ConfigureAwait(false);

            var probeInput = new float[generator.LatentDim];
            var probeOutput = new float[generator.Shape.Values];
            var probeGenerator = generator;
            circuit.SetProbe(ct => probeGenerator.RunAsync(probeInput, 1, probeOutput, ct));
            instance.Telemetry.AddQueue(() => batcher.QueueDepth);
            batcher.Start();
            instance.Started(batcher, circuit);
            LogReady(_logger, instance.Name, instance.Version, generator.Provider, generator.LatentDim, generator.Shape.Channels, generator.Shape.Height, generator.Shape.Width);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            instance.Fail("the server stopped before the model loaded");
        }
        catch (Exception ex)
        {
            var reason = ex is InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                ? ex.Message
                : $"'{instance.FilePath}' could not be loaded: {ex.Message}";
            LogLoadFailed(_logger, instance.Name, instance.Version, reason, ex);
            instance.Fail(reason);
        }
    }

    private static async Task<byte[]> ReadCheckedAsync(ModelInstance instance, CancellationToken cancellationToken)
    {
        if (!File.Exists(instance.FilePath))
        {
            throw new InvalidDataException($"'{instance.FilePath}' does not exist.");
        }

        // Hash the bytes that are loaded, so the file cannot change between the check and the load.
        var bytes = await File.ReadAllBytesAsync(instance.FilePath, cancellationToken).ConfigureAwait(false);
        var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (!string.Equals(actual, instance.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"'{instance.FilePath}' has SHA-256 {actual} but the model card says {(instance.Sha256.Length == 0 ? "nothing" : instance.Sha256)}.");
        }

        return bytes;
    }

    private static async Task WarmUpAsync(IImageGenerator generator, IReadOnlyList<int> sizes, CancellationToken cancellationToken)
    {
        foreach (var size in sizes)
        {
            var input = new float[size * generator.LatentDim];
            var output = new float[size * generator.Shape.Values];
            await generator.RunAsync(input, size, output, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} version {Version} ready on {Provider}: latent {LatentDim}, image {Channels}x{Height}x{Width}")]
    private static partial void LogReady(ILogger logger, string model, int version, string provider, int latentDim, int channels, int height, int width);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached with {Requests} request(s) still being answered")]
    private static partial void LogDrainCutShort(ILogger logger, long requests);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} version {Version} is not served: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string model, int version, string reason, Exception exception);
}
