namespace GanServe.Core.Imaging;

/// <summary>Grids and nearest-neighbour upscaling of <see cref="PixelImage"/>s.</summary>
public static class ImageLayout
{
    /// <summary>The default number of grid columns for <paramref name="count"/> samples: ceil(sqrt(n)).</summary>
    public static int DefaultColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    /// <summary>
    /// Places same-sized images row-major in <paramref name="columns"/> columns, with
    /// <paramref name="padding"/> pixels of black between cells.
    /// </summary>
    public static PixelImage Grid(IReadOnlyList<PixelImage> images, int columns, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("A grid needs at least one image.", nameof(images));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        var first = images[0];
        columns = Math.Min(columns, images.Count);
        var rows = (images.Count + columns - 1) / columns;
        var width = (columns * first.Width) + ((columns - 1) * padding);
        var height = (rows * first.Height) + ((rows - 1) * padding);
        var channels = first.Channels;
        var pixels = new byte[width * height * channels];
        var rowBytes = first.Width * channels;
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            if (image.Width != first.Width || image.Height != first.Height || image.Channels != channels)
            {
                throw new ArgumentException("All images of a grid must have the same shape.", nameof(images));
            }

            var x0 = (n % columns) * (first.Width + padding);
            var y0 = (n / columns) * (first.Height + padding);
            for (var y = 0; y < first.Height; y++)
            {
                image.Pixels.AsSpan(y * rowBytes, rowBytes)
                    .CopyTo(pixels.AsSpan((((y0 + y) * width) + x0) * channels, rowBytes));
            }
        }

        return new PixelImage(width, height, channels, pixels);
    }

    /// <summary>Enlarges an image by an integer factor, repeating each pixel (nearest neighbour).</summary>
    public static PixelImage Upscale(PixelImage image, int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        if (factor == 1)
        {
            return image;
        }

        var channels = image.Channels;
        var width = image.Width * factor;
        var height = image.Height * factor;
        var pixels = new byte[width * height * channels];
        var outRow = width * channels;
        for (var y = 0; y < image.Height; y++)
        {
            var target = pixels.AsSpan(y * factor * outRow, outRow);
            var source = image.Pixels.AsSpan(y * image.Width * channels, image.Width * channels);
            if (channels == 1)
            {
                // Grey: each pixel becomes a run of equal bytes (one Fill instead of factor one-byte copies).
                for (var x = 0; x < image.Width; x++)
                {
                    target.Slice(x * factor, factor).Fill(source[x]);
                }
            }
            else
            {
                for (var x = 0; x < image.Width; x++)
                {
                    var pixel = source.Slice(x * channels, channels);
                    for (var r = 0; r < factor; r++)
                    {
                        pixel.CopyTo(target.Slice(((x * factor) + r) * channels));
                    }
                }
            }

            for (var r = 1; r < factor; r++)
            {
                target.CopyTo(pixels.AsSpan(((y * factor) + r) * outRow, outRow));
            }
        }

        return new PixelImage(width, height, channels, pixels);
    }
}
