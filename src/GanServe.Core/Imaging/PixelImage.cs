namespace GanServe.Core.Imaging;

/// <summary>An 8-bit image with interleaved channels (1 = grey, 3 = RGB).</summary>
public sealed class PixelImage
{
    /// <summary>Creates an image over <paramref name="pixels"/>, which must hold width × height × channels bytes.</summary>
    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Only 1 (grey) or 3 (RGB) channels are supported.");
        }

        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != width * height * channels)
        {
            throw new ArgumentException($"Expected {width * height * channels} bytes, got {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>1 for grey, 3 for RGB.</summary>
    public int Channels { get; }

    /// <summary>Row-major interleaved pixel bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Builds an image from one planar CHW float image in [-1, 1].</summary>
    public static PixelImage FromPlanar(ReadOnlySpan<float> planar, int channels, int height, int width)
    {
        var pixels = new byte[channels * height * width];
        PixelConverter.ToInterleaved(planar, channels, height * width, pixels);
        return new PixelImage(width, height, channels, pixels);
    }
}
