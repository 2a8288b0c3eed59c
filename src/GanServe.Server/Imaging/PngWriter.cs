using System.Buffers.Binary;
using System.IO.Compression;
using GanServe.Core.Imaging;

namespace GanServe.Server.Imaging;

/// <summary>
/// A minimal PNG encoder for 8-bit grey or RGB images: IHDR, one IDAT (zlib, fastest level, filter "none"),
/// IEND. Several times cheaper than a general encoder for the small images a GAN makes.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="image"/> as PNG.</summary>
    public static byte[] Encode(PixelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rowBytes = image.Width * image.Channels;

        // Raw scanlines, each prefixed with filter type 0.
        var raw = new byte[(rowBytes + 1) * image.Height];
        for (var y = 0; y < image.Height; y++)
        {
            image.Pixels.AsSpan(y * rowBytes, rowBytes).CopyTo(raw.AsSpan((y * (rowBytes + 1)) + 1));
        }

        using var compressed = new MemoryStream(raw.Length / 2 + 64);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        var idat = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        var output = new byte[Signature.Length + (12 + 13) + (12 + idat.Length) + 12];
        var span = output.AsSpan();
        Signature.CopyTo(span);
        var at = Signature.Length;

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8; // bit depth
        header[9] = image.Channels == 1 ? (byte)0 : (byte)2; // grey or truecolour
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering (each row says "none")
        header[12] = 0; // no interlace
        at += WriteChunk(span[at..], "IHDR"u8, header);
        at += WriteChunk(span[at..], "IDAT"u8, idat);
        at += WriteChunk(span[at..], "IEND"u8, []);
        return at == output.Length ? output : output[..at];
    }

    private static int WriteChunk(Span<byte> destination, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, data.Length);
        type.CopyTo(destination[4..]);
        data.CopyTo(destination[8..]);
        var crc = Crc32(destination.Slice(4, 4 + data.Length));
        BinaryPrimitives.WriteUInt32BigEndian(destination[(8 + data.Length)..], crc);
        return 12 + data.Length;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
