using GanServe.Core.Imaging;
using GanServe.Server.Imaging;
using GanServe.Server.Inference;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace GanServe.Server.Api;

/// <summary>How an interpolation is answered.</summary>
public enum InterpolationFormat
{
    /// <summary>An animated GIF that loops, one frame per latent.</summary>
    Gif,

    /// <summary>One PNG with the frames side by side, left to right.</summary>
    PngStrip,
}

/// <summary>Encodes interpolation frames as an animated GIF or a PNG strip.</summary>
internal static class InterpolationEncoder
{
    /// <summary>Hundredths of a second each GIF frame shows.</summary>
    public const int FrameDelayCentiseconds = 8;

    /// <summary>The longest side a GIF can describe (its sizes are 16-bit).</summary>
    public const int MaxGifSide = 65535;

    // Each frame gets its own colour table from an octree without dithering: a frame of at most 256 colours (every grey
    // frame) keeps every pixel exact, and dithering would make still areas flicker from frame to frame. (A shared palette
    // would go through ImageSharp's nearest-colour cache, which reduces colours to 5 bits a channel and shifts grey levels.)
    private static readonly GifEncoder Gif = new()
    {
        ColorTableMode = GifColorTableMode.Local,
        Quantizer = new OctreeQuantizer(new QuantizerOptions { Dither = null, MaxColors = 256 }),
    };

    /// <summary>The render options behind each format (the strip is a one-row grid, the GIF one image a frame).</summary>
    public static RenderOptions RenderOptionsFor(InterpolationFormat format, int frames, int scale) =>
        format == InterpolationFormat.PngStrip
            ? new RenderOptions(ImageFormat.Png, scale, Grid: true, Columns: frames)
            : new RenderOptions(ImageFormat.Png, scale, Grid: false, Columns: 1);

    /// <summary>Why the answer cannot be made (too many pixels, too long a side), or null.</summary>
    public static string? SizeProblem(InterpolationFormat format, int frames, ImageShape shape, int scale, long maxPixels)
    {
        if (ImageRenderer.SizeProblem(frames, shape, RenderOptionsFor(format, frames, scale), maxPixels) is { } problem)
        {
            return problem;
        }

        var side = (long)Math.Max(shape.Width, shape.Height) * scale;
        return format == InterpolationFormat.Gif && side > MaxGifSide
            ? $"A {shape.Width * (long)scale}×{shape.Height * (long)scale} frame is larger than GIF allows ({MaxGifSide} pixels a side); use a smaller scale."
            : null;
    }

    /// <summary>The media type of a format.</summary>
    public static string ContentType(InterpolationFormat format) => format == InterpolationFormat.Gif ? "image/gif" : "image/png";

    /// <summary>Encodes <paramref name="frames"/> images of NCHW generator <paramref name="output"/>.</summary>
    public static byte[] Encode(float[] output, int frames, ImageShape shape, float[]? outputRange, InterpolationFormat format, int scale)
    {
        var rendered = ImageRenderer.Render(output, frames, shape, outputRange, RenderOptionsFor(format, frames, scale));
        if (format == InterpolationFormat.PngStrip)
        {
            return rendered[0];
        }

        // The frames come from the same renderer as the image endpoint (as lossless PNG), so they match its pixels.
        return shape.Channels == 1 ? Animate<L8>(rendered) : Animate<Rgb24>(rendered);
    }

    private static byte[] Animate<TPixel>(IReadOnlyList<byte[]> pngFrames)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var animation = Image.Load<TPixel>(pngFrames[0]);
        animation.Metadata.GetGifMetadata().RepeatCount = 0;
        animation.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = FrameDelayCentiseconds;
        for (var i = 1; i < pngFrames.Count; i++)
        {
            using var frame = Image.Load<TPixel>(pngFrames[i]);
            var added = animation.Frames.AddFrame(frame.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = FrameDelayCentiseconds;
        }

        using var stream = new MemoryStream();
        animation.SaveAsGif(stream, Gif);
        return stream.ToArray();
    }
}
