using GanServe.Core.Imaging;
using GanServe.Server.Inference;

namespace GanServe.Server.Imaging;

/// <summary>How to turn generator output into encoded images.</summary>
/// <param name="Format">PNG, JPEG or WebP.</param>
/// <param name="Scale">Nearest-neighbour upscaling factor.</param>
/// <param name="Grid">One grid image instead of one image per sample.</param>
/// <param name="Columns">Grid columns.</param>
public readonly record struct RenderOptions(ImageFormat Format, int Scale, bool Grid, int Columns);

/// <summary>
/// Turns planar generator output into encoded images: maps the card's output range to [-1, 1], quantises
/// pixels (<see cref="PixelConverter"/>), lays out a grid, upscales and encodes. Runs on the request's
/// thread, never in the batch loop.
/// </summary>
public static class ImageRenderer
{
    /// <summary>Encodes <paramref name="count"/> images of <paramref name="shape"/> from NCHW <paramref name="output"/>.</summary>
    public static IReadOnlyList<byte[]> Render(float[] output, int count, ImageShape shape, float[]? outputRange, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        var images = new PixelImage[count];
        for (var i = 0; i < count; i++)
        {
            var planar = output.AsSpan(i * shape.Values, shape.Values);
            Normalise(planar, outputRange);
            images[i] = PixelImage.FromPlanar(planar, shape.Channels, shape.Height, shape.Width);
        }

        if (options.Grid)
        {
            var grid = ImageLayout.Grid(images, options.Columns);
            return [Encode(ImageLayout.Upscale(grid, options.Scale), options.Format)];
        }

        var encoded = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            encoded[i] = Encode(ImageLayout.Upscale(images[i], options.Scale), options.Format);
        }

        return encoded;
    }

    /// <summary>Output pixels of an answer (all images, after the grid and scaling), for the response-size limit.</summary>
    public static long PixelCount(int count, ImageShape shape, RenderOptions options)
    {
        long cells = count;
        if (options.Grid)
        {
            var columns = Math.Min(options.Columns, count);
            var rows = (count + columns - 1) / columns;
            cells = (long)columns * rows;
        }

        return cells * shape.Pixels * options.Scale * options.Scale;
    }

    /// <summary>
    /// Why an answer of this shape cannot be made (too many pixels, or a side longer than the format allows:
    /// WebP 16383, JPEG 65535), or null when it can. Checked before anything runs.
    /// </summary>
    public static string? SizeProblem(int count, ImageShape shape, RenderOptions options, long maxPixels)
    {
        var pixels = PixelCount(count, shape, options);
        if (pixels > maxPixels)
        {
            return $"The answer would hold {pixels} pixels, more than {maxPixels} (GanServe:Requests:MaxPixelsPerResponse).";
        }

        long width = (long)shape.Width * options.Scale;
        long height = (long)shape.Height * options.Scale;
        if (options.Grid)
        {
            var columns = Math.Min(options.Columns, count);
            width *= columns;
            height *= (count + columns - 1) / columns;
        }

        var maxSide = MaxSide(options.Format);
        return width > maxSide || height > maxSide
            ? $"A {width}×{height} image is larger than {options.Format.ToString().ToUpperInvariant()} allows ({maxSide} pixels a side); use fewer columns, a smaller scale or PNG."
            : null;
    }

    /// <summary>Encodes one image; PNG uses the project's own fast writer.</summary>
    public static byte[] Encode(PixelImage image, ImageFormat format) =>
        format == ImageFormat.Png ? PngWriter.Encode(image) : ImageEncoder.Encode(image, format);

    private static void Normalise(Span<float> values, float[]? range)
    {
        if (range is not [var low, var high] || (low == -1f && high == 1f) || !(high > low))
        {
            return;
        }

        var scale = 2f / (high - low);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ((values[i] - low) * scale) - 1f;
        }
    }

    private static long MaxSide(ImageFormat format) => format switch
    {
        ImageFormat.Webp => 16383,
        ImageFormat.Jpeg => 65535,
        _ => int.MaxValue,
    };
}
