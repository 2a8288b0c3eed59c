using BenchmarkDotNet.Attributes;
using GanServe.Core.Imaging;
using GanServe.Server.Imaging;
using GanServe.Server.Inference;

namespace GanServe.Benchmarks.Micro;

/// <summary>
/// Tensor → encoded image for one generated image (28×28 grey like the committed model, or 64×64 RGB):
/// pixel quantisation alone, each encoder alone, and the whole of <see cref="ImageRenderer.Render"/>.
/// </summary>
public class EncodingBenchmarks
{
    private float[] _planar = [];
    private float[] _scratch = [];
    private PixelImage _image = null!;
    private ImageShape _shape;

    /// <summary>The image: grey 28×28 (the committed model) or RGB 64×64.</summary>
    [Params("1x28x28", "3x64x64")]
    public string Shape { get; set; } = "1x28x28";

    /// <summary>Makes smooth generator-like output in [-1, 1].</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x').Select(int.Parse).ToArray();
        _shape = new ImageShape(parts[0], parts[1], parts[2]);
        _planar = new float[_shape.Values];
        var random = new Random(5);
        for (var i = 0; i < _planar.Length; i++)
        {
            var x = i % _shape.Width;
            var y = i / _shape.Width % _shape.Height;
            _planar[i] = Math.Clamp(MathF.Sin(x * 0.3f) * MathF.Cos(y * 0.2f) + ((float)random.NextDouble() * 0.2f) - 0.1f, -1f, 1f);
        }

        _scratch = (float[])_planar.Clone();
        _image = PixelImage.FromPlanar(_planar, _shape.Channels, _shape.Height, _shape.Width);
    }

    /// <summary>Planar floats → interleaved 8-bit pixels.</summary>
    [Benchmark]
    public PixelImage Pixels() => PixelImage.FromPlanar(_planar, _shape.Channels, _shape.Height, _shape.Width);

    /// <summary>The project's PNG writer (what PNG answers use).</summary>
    [Benchmark(Baseline = true)]
    public byte[] Png() => PngWriter.Encode(_image);

    /// <summary>ImageSharp's PNG encoder at its fastest settings, for comparison.</summary>
    [Benchmark]
    public byte[] PngImageSharp() => ImageEncoder.Encode(_image, ImageFormat.Png);

    /// <summary>JPEG quality 90.</summary>
    [Benchmark]
    public byte[] Jpeg() => ImageRenderer.Encode(_image, ImageFormat.Jpeg);

    /// <summary>Lossless WebP.</summary>
    [Benchmark]
    public byte[] Webp() => ImageRenderer.Encode(_image, ImageFormat.Webp);

    /// <summary>Generator output → PNG bytes, as an image answer does it.</summary>
    [Benchmark]
    public byte[] RenderPng()
    {
        _planar.AsSpan().CopyTo(_scratch);
        return ImageRenderer.Render(_scratch, 1, _shape, null, new RenderOptions(ImageFormat.Png, 1, false, 1))[0];
    }
}
