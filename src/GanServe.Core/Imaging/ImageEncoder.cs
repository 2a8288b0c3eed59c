using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GanServe.Core.Imaging;

/// <summary>
/// Encodes <see cref="PixelImage"/>s with ImageSharp. Encoders are configured once and reused
/// (they are stateless and thread-safe); no metadata is written, and grey stays 8-bit grey.
/// </summary>
public static class ImageEncoder
{
    private static readonly PngEncoder GreyPng = new()
    {
        ColorType = PngColorType.Grayscale,
        BitDepth = PngBitDepth.Bit8,
        CompressionLevel = PngCompressionLevel.BestSpeed,
        FilterMethod = PngFilterMethod.None,
        ChunkFilter = PngChunkFilter.ExcludeAll,
    };

    private static readonly PngEncoder RgbPng = new()
    {
        ColorType = PngColorType.Rgb,
        BitDepth = PngBitDepth.Bit8,
        CompressionLevel = PngCompressionLevel.BestSpeed,
        FilterMethod = PngFilterMethod.None,
        ChunkFilter = PngChunkFilter.ExcludeAll,
    };

    private static readonly JpegEncoder GreyJpeg = new() { Quality = 90, ColorType = JpegColorType.Luminance };
    private static readonly JpegEncoder RgbJpeg = new() { Quality = 90, ColorType = JpegColorType.YCbCrRatio420 };
    private static readonly WebpEncoder LosslessWebp = new() { FileFormat = WebpFileFormatType.Lossless, Method = WebpEncodingMethod.Fastest };

    /// <summary>Encodes an image into a new byte array.</summary>
    public static byte[] Encode(PixelImage image, ImageFormat format)
    {
        using var stream = new MemoryStream(EstimateSize(image));
        Encode(image, format, stream);
        return stream.ToArray();
    }

    /// <summary>Encodes an image into <paramref name="destination"/>.</summary>
    public static void Encode(PixelImage image, ImageFormat format, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 1)
        {
            using var grey = Image.WrapMemory<L8>(image.Pixels.AsMemory(), image.Width, image.Height);
            grey.Save(destination, Pick(format, grey: true));
        }
        else
        {
            using var rgb = Image.WrapMemory<Rgb24>(image.Pixels.AsMemory(), image.Width, image.Height);
            rgb.Save(destination, Pick(format, grey: false));
        }
    }

    /// <summary>Writes an image to a file in the format its extension names.</summary>
    public static void Save(PixelImage image, string path)
    {
        if (!ImageFormats.TryParse(Path.GetExtension(path).TrimStart('.'), out var format))
        {
            throw new ArgumentException($"Cannot tell the image format from '{path}'.", nameof(path));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var file = File.Create(path);
        Encode(image, format, file);
    }

    private static IImageEncoder Pick(ImageFormat format, bool grey) => format switch
    {
        ImageFormat.Png => grey ? GreyPng : RgbPng,
        ImageFormat.Jpeg => grey ? GreyJpeg : RgbJpeg,
        ImageFormat.Webp => LosslessWebp,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private static int EstimateSize(PixelImage image) => 256 + image.Pixels.Length + (image.Pixels.Length / 8);
}
