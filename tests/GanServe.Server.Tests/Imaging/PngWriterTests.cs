using GanServe.Core.Imaging;
using GanServe.Server.Imaging;
using GanServe.Server.Inference;
using GanServe.Server.Tests.Support;

namespace GanServe.Server.Tests.Imaging;

public sealed class PngWriterTests
{
    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 16, 16)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 300)]
    public void Encode_AnyImage_DecodesToTheSamePixels(int channels, int height, int width)
    {
        var random = new Random(channels * height * width);
        var pixels = new byte[channels * height * width];
        random.NextBytes(pixels);
        var image = new PixelImage(width, height, channels, pixels);

        var png = PngWriter.Encode(image);

        var decoded = channels == 1 ? Images.Grey(png) : Images.Rgb(png);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal(pixels, decoded.Pixels);
    }

    [Fact]
    public void Encode_AfterLargerNoisyImages_SmallImagesStillDecodeExactly()
    {
        // The writer reuses pooled buffers: what a larger, incompressible image left there must not leak into the next.
        var random = new Random(11);
        var noise = new byte[3 * 257 * 255];
        random.NextBytes(noise);
        var large = new PixelImage(255, 257, 3, noise);
        var small = new PixelImage(3, 5, 1, [.. Enumerable.Range(0, 15).Select(i => (byte)(i * 17))]);

        var largePng = PngWriter.Encode(large);
        var smallPng = PngWriter.Encode(small);

        Assert.Equal(noise, Images.Rgb(largePng).Pixels);
        Assert.Equal(small.Pixels, Images.Grey(smallPng).Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Render_ScaleAboveOne_DecodesToRepeatedPixels(int channels)
    {
        var shape = new ImageShape(channels, 3, 5);
        var output = Enumerable.Range(0, shape.Values).Select(i => (i % 9 / 4f) - 1f).ToArray();
        var pixels = PixelImage.FromPlanar(output, channels, 3, 5);
        var expected = ImageLayout.Upscale(pixels, 3);

        var png = ImageRenderer.Render(output, 1, shape, null, new RenderOptions(ImageFormat.Png, 3, false, 1))[0];

        var decoded = channels == 1 ? Images.Grey(png) : Images.Rgb(png);
        Assert.Equal((15, 9), (decoded.Width, decoded.Height));
        Assert.Equal(expected.Pixels, decoded.Pixels);
    }

    [Fact]
    public void Encode_Grey_WritesGreyscaleHeader()
    {
        var png = PngWriter.Encode(new PixelImage(2, 2, 1, [0, 64, 128, 255]));

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(8, png[24]);
        Assert.Equal(0, png[25]);
    }

    [Fact]
    public void Render_OutputRangeFromCard_MapsToMinusOneToOne()
    {
        var output = new float[] { 0f, 0.5f, 1f, 0.25f };

        var png = ImageRenderer.Render(output, 1, new ImageShape(1, 2, 2), [0f, 1f], new RenderOptions(ImageFormat.Png, 1, false, 1))[0];

        Assert.Equal(new byte[] { 0, 128, 255, 64 }, Images.Grey(png).Pixels);
    }

    [Fact]
    public void PixelCount_GridAndScale_CountsWholeCanvas()
    {
        var shape = new ImageShape(1, 28, 28);

        Assert.Equal(5L * 784 * 4, ImageRenderer.PixelCount(5, shape, new RenderOptions(ImageFormat.Png, 2, false, 1)));
        Assert.Equal(6L * 784, ImageRenderer.PixelCount(5, shape, new RenderOptions(ImageFormat.Png, 1, true, 3)));
    }
}
