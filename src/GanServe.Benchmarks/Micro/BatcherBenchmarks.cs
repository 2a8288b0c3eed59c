using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using GanServe.Server.Batching;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using GanServe.Server.Metrics;
using GanServe.Server.Resilience;
using Microsoft.Extensions.Logging.Abstractions;

namespace GanServe.Benchmarks.Micro;

/// <summary>
/// The batcher's own cost per request with a generator that does nothing: admission, queue, batch loop, the
/// resilience pipeline, telemetry (with the Prometheus listener attached, as in the server) and the answer,
/// with 1 or 64 single-image requests in flight. Figures are per request.
/// </summary>
public class BatcherBenchmarks
{
    private readonly float[] _latent = new float[100];
    private readonly Task<GenerationOutcome>[] _tasks = new Task<GenerationOutcome>[64];
    private GanServeMetrics _metrics = null!;
    private PrometheusExporter _exporter = null!;
    private BatchCircuit _circuit = null!;
    private ModelBatcher _batcher = null!;

    /// <summary>Starts a batcher with the default batching and resilience settings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _metrics = new GanServeMetrics(new BenchmarkMeterFactory(), TimeProvider.System);
        _exporter = new PrometheusExporter(_metrics);
        _circuit = new BatchCircuit(new ResilienceOptions(), TimeProvider.System, NullLogger.Instance);
        _batcher = new ModelBatcher(new NoOpGenerator(), _circuit.Pipeline, new BatchingOptions(), _metrics.For("bench"), TimeProvider.System, NullLogger.Instance);
        _batcher.Start();
    }

    /// <summary>Stops the batcher.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _circuit.Dispose();
        _exporter.Dispose();
        _metrics.Meter.Dispose();
    }

    /// <summary>One request at a time: submit, wait for the answer.</summary>
    [Benchmark(Baseline = true)]
    public GenerationOutcome OneInFlight() =>
        _batcher.SubmitAsync(_latent, 1, TimeSpan.FromSeconds(10), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>64 requests submitted together, then all answers awaited (per request).</summary>
    [Benchmark(OperationsPerInvoke = 64)]
    public GenerationOutcome SixtyFourInFlight()
    {
        for (var i = 0; i < _tasks.Length; i++)
        {
            _tasks[i] = _batcher.SubmitAsync(_latent, 1, TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        Task.WaitAll(_tasks);
        return _tasks[^1].Result;
    }

    private sealed class NoOpGenerator : IImageGenerator
    {
        public int LatentDim => 100;

        public ImageShape Shape { get; } = new(1, 28, 28);

        public string Provider => "NoOp";

        public ValueTask RunAsync(ReadOnlyMemory<float> latents, int batchSize, Memory<float> output, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        public void Dispose()
        {
        }
    }

    private sealed class BenchmarkMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
