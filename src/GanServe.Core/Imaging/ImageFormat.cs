namespace GanServe.Core.Imaging;

/// <summary>The encodings GanServe answers with.</summary>
public enum ImageFormat
{
    /// <summary>Lossless PNG.</summary>
    Png,

    /// <summary>JPEG, quality 90.</summary>
    Jpeg,

    /// <summary>Lossless WebP.</summary>
    Webp,
}

/// <summary>Names, extensions and media types of <see cref="ImageFormat"/>.</summary>
public static class ImageFormats
{
    /// <summary>Parses a format name or file extension (png, jpg, jpeg, webp), case-insensitively.</summary>
    public static bool TryParse(string? text, out ImageFormat format)
    {
        switch (text?.ToUpperInvariant())
        {
            case "PNG":
                format = ImageFormat.Png;
                return true;
            case "JPG":
            case "JPEG":
                format = ImageFormat.Jpeg;
                return true;
            case "WEBP":
                format = ImageFormat.Webp;
                return true;
            default:
                format = default;
                return false;
        }
    }

    /// <summary>The media type of a format.</summary>
    public static string ContentType(ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Webp => "image/webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The canonical file extension of a format, without the dot.</summary>
    public static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Png => "png",
        ImageFormat.Jpeg => "jpg",
        ImageFormat.Webp => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
