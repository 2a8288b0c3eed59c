using GanServe.Training.Data;

namespace GanServe.Training.Tests;

public sealed class IdxReaderTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("idx-").FullName;

    [Fact]
    public void ReadImages_ValidGzip_ReturnsDimensionsAndPixels()
    {
        var content = SyntheticIdx.Images(3);
        var path = Path.Combine(_dir, "images.gz");
        SyntheticIdx.WriteGz(path, content);

        var images = IdxReader.ReadImages(path);

        Assert.Equal((3, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(content.AsSpan(16).ToArray(), images.Pixels);
    }

    [Fact]
    public void ReadImages_UncompressedFile_Reads()
    {
        var path = Path.Combine(_dir, "images");
        File.WriteAllBytes(path, SyntheticIdx.Images(2, 12, 14));

        var images = IdxReader.ReadImages(path);

        Assert.Equal((2, 12, 14), (images.Count, images.Rows, images.Columns));
    }

    [Fact]
    public void ReadImages_WrongMagic_NamesFileAndMagic()
    {
        var path = Path.Combine(_dir, "labels-as-images.gz");
        SyntheticIdx.WriteGz(path, SyntheticIdx.Labels(10));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_TruncatedPayload_SaysTruncated()
    {
        var content = SyntheticIdx.Images(4);
        var path = Path.Combine(_dir, "short.gz");
        SyntheticIdx.WriteGz(path, content[..^100]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_TruncatedGzipStream_GivesClearError()
    {
        var full = Path.Combine(_dir, "full.gz");
        SyntheticIdx.WriteGz(full, SyntheticIdx.Images(20));
        var bytes = File.ReadAllBytes(full);
        var path = Path.Combine(_dir, "cut.gz");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_ShorterThanHeader_GivesClearError()
    {
        var path = Path.Combine(_dir, "tiny");
        File.WriteAllBytes(path, [0, 0, 8]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains("header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_ExtraBytes_AreRejected()
    {
        var path = Path.Combine(_dir, "labels");
        File.WriteAllBytes(path, [.. SyntheticIdx.Labels(5), 1, 2]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains("longer than declared", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectory_NamesTheDebianPackage()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(Path.Combine(_dir, "nope"), train: true));

        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesTheFileAndPackage()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_dir, train: true));

        Assert.Contains("train-images-idx3-ubyte", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SyntheticSplit_ReturnsMatchingImagesAndLabels()
    {
        var dir = SyntheticIdx.DataDirectory(trainCount: 12, testCount: 5);

        var test = FashionMnist.Load(dir, train: false);

        Assert.Equal(5, test.Count);
        Assert.Equal(5, test.Labels.Length);
    }
}
