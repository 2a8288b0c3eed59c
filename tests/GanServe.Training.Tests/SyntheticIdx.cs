using System.Buffers.Binary;
using System.IO.Compression;

namespace GanServe.Training.Tests;

/// <summary>Writes tiny Fashion-MNIST-shaped IDX files so tests never need the real data set.</summary>
internal static class SyntheticIdx
{
    public static byte[] Images(int count, int rows = 28, int columns = 28, int seed = 0)
    {
        var random = new Random(seed);
        var bytes = new byte[16 + (count * rows * columns)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (var n = 0; n < count; n++)
        {
            // A bright rectangle of random size on black: structured enough to train on.
            var w = random.Next(6, columns - 4);
            var h = random.Next(6, rows - 4);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    bytes[16 + (n * rows * columns) + ((y + 2) * columns) + x + 2] = (byte)random.Next(150, 256);
                }
            }
        }

        return bytes;
    }

    public static byte[] Labels(int count, int seed = 0)
    {
        var random = new Random(seed);
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (var i = 0; i < count; i++)
        {
            bytes[8 + i] = (byte)random.Next(10);
        }

        return bytes;
    }

    public static void WriteGz(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
    }

    /// <summary>A data folder with train and test splits laid out as the Debian package does.</summary>
    public static string DataDirectory(int trainCount = 256, int testCount = 64)
    {
        var dir = Directory.CreateTempSubdirectory("fashion-").FullName;
        WriteGz(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Images(trainCount));
        WriteGz(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Labels(trainCount));
        WriteGz(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Images(testCount, seed: 1));
        WriteGz(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Labels(testCount, seed: 1));
        return dir;
    }
}
