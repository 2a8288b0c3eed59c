using GanServe.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GanServe.Core.Tests;

public sealed class ImagingTests
{
    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(1f, 255)]
    [InlineData(0f, 128)] // 127.5 rounds half to even → 128
    [InlineData(-2f, 0)]
    [InlineData(3f, 255)]
    [InlineData(float.NaN, 0)]
    public void ToLevel_MapsRangeWithHalfToEvenAndClamping(float x, int expected)
    {
        Assert.Equal(expected, PixelConverter.ToLevel(x));
    }

    [Fact]
    public void ToLevel_ExactHalfStep_RoundsToEven()
    {
        // (x + 1) * 127.5 = 2.5 exactly for x = 2.5 / 127.5 - 1 computed in float32 → 2 (even), not 3.
        var x = (5f / 255f) - 1f;
        var scaled = (x + 1f) * 127.5f;

        var level = PixelConverter.ToLevel(x);

        Assert.Equal(MathF.Round(scaled, MidpointRounding.ToEven), level);
    }

    [Fact]
    public void ToInterleaved_Rgb_InterleavesPlanes()
    {
        float[] planar = [-1f, 1f, 1f, -1f, -1f, -1f]; // R plane [0,255], G plane [255,0], B plane [0,0]
        var bytes = new byte[6];

        PixelConverter.ToInterleaved(planar, 3, 2, bytes);

        Assert.Equal(new byte[] { 0, 255, 0, 255, 0, 0 }, bytes);
    }

    [Fact]
    public void Grid_PlacesImagesRowMajor()
    {
        var tiles = Enumerable.Range(1, 3).Select(v => new PixelImage(2, 1, 1, [(byte)v, (byte)(v * 10)])).ToList();

        var grid = ImageLayout.Grid(tiles, columns: 2);

        Assert.Equal(4, grid.Width);
        Assert.Equal(2, grid.Height);
        Assert.Equal(new byte[] { 1, 10, 2, 20, 3, 30, 0, 0 }, grid.Pixels);
    }

    [Fact]
    public void Grid_WithMismatchedShapes_Throws()
    {
        var tiles = new List<PixelImage> { new(1, 1, 1, [1]), new(2, 1, 1, [1, 2]) };

        Assert.Throws<ArgumentException>(() => ImageLayout.Grid(tiles, 2));
    }

    [Fact]
    public void Upscale_RepeatsEachPixel()
    {
        var image = new PixelImage(2, 1, 1, [7, 9]);

        var big = ImageLayout.Upscale(image, 2);

        Assert.Equal(new byte[] { 7, 7, 9, 9, 7, 7, 9, 9 }, big.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Encode_PngAndWebp_AreLossless(int channels)
    {
        var pixels = Enumerable.Range(0, 5 * 4 * channels).Select(i => (byte)(i * 11)).ToArray();
        var image = new PixelImage(5, 4, channels, pixels);

        foreach (var format in new[] { ImageFormat.Png, ImageFormat.Webp })
        {
            var decoded = Decode(ImageEncoder.Encode(image, format), channels);
            Assert.Equal(pixels, decoded);
        }
    }

    [Fact]
    public void Encode_GreyJpeg_IsOneComponentAndClose()
    {
        var pixels = Enumerable.Repeat((byte)100, 16 * 16).ToArray();
        var bytes = ImageEncoder.Encode(new PixelImage(16, 16, 1, pixels), ImageFormat.Jpeg);

        var info = Image.Identify(bytes);
        var decoded = Decode(bytes, 1);

        Assert.Equal(8, info.PixelType.BitsPerPixel);
        Assert.All(decoded, p => Assert.InRange(p, 98, 102));
    }

    [Theory]
    [InlineData("png", ImageFormat.Png)]
    [InlineData("JPG", ImageFormat.Jpeg)]
    [InlineData("jpeg", ImageFormat.Jpeg)]
    [InlineData("webp", ImageFormat.Webp)]
    public void TryParse_KnownNames_Parse(string text, ImageFormat expected)
    {
        Assert.True(ImageFormats.TryParse(text, out var format));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("gif")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_UnknownNames_Fail(string? text)
    {
        Assert.False(ImageFormats.TryParse(text, out _));
    }

    private static byte[] Decode(byte[] encoded, int channels)
    {
        if (channels == 1)
        {
            using var grey = Image.Load<L8>(encoded);
            var result = new byte[grey.Width * grey.Height];
            grey.CopyPixelDataTo(result);
            return result;
        }

        using var rgb = Image.Load<Rgb24>(encoded);
        var bytes = new byte[rgb.Width * rgb.Height * 3];
        rgb.CopyPixelDataTo(bytes);
        return bytes;
    }
}
