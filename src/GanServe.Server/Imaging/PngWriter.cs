using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using GanServe.Core.Imaging;

namespace GanServe.Server.Imaging;

/// <summary>
/// A minimal PNG encoder for 8-bit grey or RGB images: IHDR, one IDAT (zlib, fastest level, filter "none"),
/// IEND. Several times cheaper than a general encoder for the small images a GAN makes; works in pooled buffers.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="image"/> as PNG.</summary>
    /// <remarks>
    /// The scanlines and the zlib stream live in pooled buffers; the only array allocated is the answer itself.
    /// </remarks>
    public static byte[] Encode(PixelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rowBytes = image.Width * image.Channels;
        var rawLength = (rowBytes + 1) * image.Height;

        // zlib's most conservative bound on its output (deflateBound without knowing the settings), with room to spare.
        var bound = rawLength + ((rawLength + 7) >> 3) + ((rawLength + 63) >> 6) + 64;
        var raw = ArrayPool<byte>.Shared.Rent(rawLength);
        var compressed = ArrayPool<byte>.Shared.Rent(bound);
        try
        {
            // Raw scanlines, each prefixed with filter type 0 (the rented buffer is not zeroed).
            for (var y = 0; y < image.Height; y++)
            {
                var row = y * (rowBytes + 1);
                raw[row] = 0;
                image.Pixels.AsSpan(y * rowBytes, rowBytes).CopyTo(raw.AsSpan(row + 1));
            }

            int idatLength;
            using (var stream = new MemoryStream(compressed, 0, bound, writable: true))
            {
                using (var zlib = new ZLibStream(stream, CompressionLevel.Fastest, leaveOpen: true))
                {
                    zlib.Write(raw, 0, rawLength);
                }

                idatLength = (int)stream.Position;
            }

            var idat = compressed.AsSpan(0, idatLength);
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
            WriteChunk(span[at..], "IEND"u8, []);
            return output;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
            ArrayPool<byte>.Shared.Return(raw);
        }
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
