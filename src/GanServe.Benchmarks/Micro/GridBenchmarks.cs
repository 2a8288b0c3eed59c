using BenchmarkDotNet.Attributes;
using GanServe.Core.Imaging;
using GanServe.Server.Imaging;
using GanServe.Server.Inference;

namespace GanServe.Benchmarks.Micro;

/// <summary>Grid composition of 64 grey 28×28 samples (8 columns), upscaling, and a whole grid answer.</summary>
public class GridBenchmarks
{
    private const int Count = 64;
    private static readonly ImageShape Shape = new(1, 28, 28);

    private PixelImage[] _images = [];
    private PixelImage _grid = null!;
    private float[] _output = [];
    private float[] _scratch = [];

    /// <summary>Makes the samples.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(9);
        _output = new float[Count * Shape.Values];
        for (var i = 0; i < _output.Length; i++)
        {
            _output[i] = ((float)random.NextDouble() * 2f) - 1f;
        }

        _scratch = (float[])_output.Clone();
        _images = [.. Enumerable.Range(0, Count).Select(i => PixelImage.FromPlanar(_output.AsSpan(i * Shape.Values, Shape.Values), 1, 28, 28))];
        _grid = ImageLayout.Grid(_images, 8);
    }

    /// <summary>64 images → one 224×224 grid.</summary>
    [Benchmark(Baseline = true)]
    public PixelImage Grid() => ImageLayout.Grid(_images, 8);

    /// <summary>The grid upscaled ×4 (nearest neighbour).</summary>
    [Benchmark]
    public PixelImage Upscale4() => ImageLayout.Upscale(_grid, 4);

    /// <summary>Generator output of 64 images → one grid PNG, as <c>generate</c> with <c>grid: true</c> does.</summary>
    [Benchmark]
    public byte[] RenderGridPng()
    {
        _output.AsSpan().CopyTo(_scratch);
        return ImageRenderer.Render(_scratch, Count, Shape, null, new RenderOptions(ImageFormat.Png, 1, true, 8))[0];
    }
}
