using System.Buffers.Binary;
using System.IO.Compression;

namespace GanServe.Training.Data;

/// <summary>
/// Reads the IDX files of MNIST-style data sets (optionally gzipped): unsigned-byte image stacks
/// (magic 0x00000803) and label vectors (magic 0x00000801). Every malformed file is reported with
/// an <see cref="InvalidDataException"/> naming it.
/// </summary>
public static class IdxReader
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file into one byte array of count × rows × columns pixels.</summary>
    public static IdxImages ReadImages(string path)
    {
        var bytes = ReadAll(path);
        var header = Header(path, bytes, ImagesMagic, dimensions: 3);
        int count = header[0], rows = header[1], columns = header[2];
        if (rows <= 0 || columns <= 0)
        {
            throw new InvalidDataException($"IDX file '{path}' declares images of {rows}×{columns} pixels.");
        }

        var expected = 16L + ((long)count * rows * columns);
        CheckLength(path, bytes.Length, expected, $"{count} images of {rows}×{columns}");
        return new IdxImages(count, rows, columns, bytes.AsSpan(16).ToArray());
    }

    /// <summary>Reads a label file.</summary>
    public static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        var count = Header(path, bytes, LabelsMagic, dimensions: 1)[0];
        CheckLength(path, bytes.Length, 8L + count, $"{count} labels");
        return bytes.AsSpan(8).ToArray();
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }

        try
        {
            using var file = File.OpenRead(path);
            Stream source = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionMode.Decompress)
                : file;
            using (source)
            {
                using var buffer = new MemoryStream();
                source.CopyTo(buffer);
                return buffer.ToArray();
            }
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"IDX file '{path}' is not a valid gzip stream (truncated or corrupt): {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"IDX file '{path}' ends early (truncated gzip stream).", ex);
        }
    }

    private static int[] Header(string path, byte[] bytes, int magic, int dimensions)
    {
        var headerLength = 4 + (4 * dimensions);
        if (bytes.Length < headerLength)
        {
            throw new InvalidDataException($"IDX file '{path}' is {bytes.Length} bytes long, shorter than its {headerLength}-byte header.");
        }

        var actual = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (actual != magic)
        {
            throw new InvalidDataException($"IDX file '{path}' has magic number 0x{actual:x8}; expected 0x{magic:x8}.");
        }

        var sizes = new int[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            sizes[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (sizes[i] < 0)
            {
                throw new InvalidDataException($"IDX file '{path}' declares a negative size in dimension {i}.");
            }
        }

        return sizes;
    }

    private static void CheckLength(string path, long actual, long expected, string what)
    {
        if (actual != expected)
        {
            var problem = actual < expected ? "truncated" : "longer than declared";
            throw new InvalidDataException($"IDX file '{path}' is {problem}: it declares {what} ({expected} bytes) but holds {actual} bytes.");
        }
    }
}

/// <summary>A stack of 8-bit grey images read from an IDX file.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);
