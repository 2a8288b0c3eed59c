namespace GanServe.Core.Imaging;

/// <summary>
/// Turns generator output (planar CHW floats in [-1, 1]) into 8-bit interleaved pixels:
/// <c>clamp(round((x + 1) * 127.5), 0, 255)</c> in float32, rounding half to even.
/// </summary>
public static class PixelConverter
{
    /// <summary>Converts one value to a pixel level.</summary>
    public static byte ToLevel(float x)
    {
        var scaled = MathF.Round((x + 1f) * 127.5f, MidpointRounding.ToEven);
        if (!(scaled >= 0f))
        {
            return 0; // also NaN
        }

        return scaled >= 255f ? (byte)255 : (byte)scaled;
    }

    /// <summary>
    /// Converts one image of <paramref name="channels"/> planes of <paramref name="pixelCount"/> values
    /// into interleaved bytes (grey: one byte a pixel; RGB: three).
    /// </summary>
    public static void ToInterleaved(ReadOnlySpan<float> planar, int channels, int pixelCount, Span<byte> destination)
    {
        if (planar.Length < channels * pixelCount || destination.Length < channels * pixelCount)
        {
            throw new ArgumentException("Buffers are smaller than channels × pixels.");
        }

        if (channels == 1)
        {
            for (var i = 0; i < pixelCount; i++)
            {
                destination[i] = ToLevel(planar[i]);
            }

            return;
        }

        for (var c = 0; c < channels; c++)
        {
            var plane = planar.Slice(c * pixelCount, pixelCount);
            for (var i = 0; i < pixelCount; i++)
            {
                destination[(i * channels) + c] = ToLevel(plane[i]);
            }
        }
    }
}
