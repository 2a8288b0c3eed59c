using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GanServe.Server.Tests.Support;

/// <summary>Decodes the server's own images for comparison.</summary>
internal static class Images
{
    public static (int Width, int Height, byte[] Pixels) Grey(byte[] encoded)
    {
        using var image = Image.Load<L8>(encoded);
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return (image.Width, image.Height, pixels);
    }

    public static (int Width, int Height, byte[] Pixels) Rgb(byte[] encoded)
    {
        using var image = Image.Load<Rgb24>(encoded);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return (image.Width, image.Height, pixels);
    }

    public static int MaxDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
