using BenchmarkDotNet.Attributes;
using GanServe.Server.Batching;

namespace GanServe.Benchmarks.Micro;

/// <summary>
/// Batch assembly as the batcher does it: each request's latents copied into the pinned input buffer (padding
/// zeroed), and each request's images copied out of the batch output. Latent 100, images 1×28×28.
/// </summary>
public class BatchAssemblyBenchmarks
{
    private const int LatentDim = 100;
    private const int Values = 28 * 28;

    private readonly List<ModelBatcher.Segment> _batch = [];
    private float[] _input = [];
    private float[] _output = [];

    /// <summary>Requests of one image each in the batch.</summary>
    [Params(1, 16, 64)]
    public int Requests { get; set; }

    /// <summary>Builds the requests and buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _input = GC.AllocateArray<float>(64 * LatentDim, pinned: true);
        _output = GC.AllocateArray<float>(64 * Values, pinned: true);
        var random = new Random(1);
        for (var i = 0; i < Requests; i++)
        {
            var latent = new float[LatentDim];
            for (var j = 0; j < latent.Length; j++)
            {
                latent[j] = (float)random.NextDouble();
            }

            _batch.Add(new ModelBatcher.Segment(new WorkItem(latent, 1, Values, 0), 0, 1, i));
        }
    }

    /// <summary>Latents → batch input.</summary>
    [Benchmark]
    public float Gather()
    {
        ModelBatcher.GatherLatents(_batch, _input.AsSpan(0, Requests * LatentDim), Requests, LatentDim);
        return _input[0];
    }

    /// <summary>Batch output → each request's images.</summary>
    [Benchmark]
    public float Scatter()
    {
        foreach (var s in _batch)
        {
            ModelBatcher.ScatterOutput(s, _output, Values);
        }

        return _batch[0].Item.Output[0];
    }
}
