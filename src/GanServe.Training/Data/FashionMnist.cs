namespace GanServe.Training.Data;

/// <summary>Fashion-MNIST as installed by the Debian package <c>dataset-fashion-mnist</c>.</summary>
public sealed class FashionMnist
{
    /// <summary>Where the Debian package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Debian package that provides the data.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    private FashionMnist(IdxImages images, byte[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>The images (28×28 grey).</summary>
    public IdxImages Images { get; }

    /// <summary>The class label of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Images.Count;

    /// <summary>Loads the training split (60 000 images) or the test split (10 000).</summary>
    public static FashionMnist Load(string directory, bool train)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST directory '{directory}' does not exist. Install the data with " +
                $"'apt-get install {DebianPackage}' or pass --data DIR pointing at the IDX files.");
        }

        var prefix = train ? "train" : "t10k";
        var images = IdxReader.ReadImages(Find(directory, $"{prefix}-images-idx3-ubyte"));
        var labels = IdxReader.ReadLabels(Find(directory, $"{prefix}-labels-idx1-ubyte"));
        if (labels.Length != images.Count)
        {
            throw new InvalidDataException(
                $"Fashion-MNIST in '{directory}': {images.Count} {prefix} images but {labels.Length} labels.");
        }

        return new FashionMnist(images, labels);
    }

    /// <summary>Pixels of image <paramref name="index"/> scaled to [-1, 1], written into <paramref name="destination"/>.</summary>
    public void CopyScaled(int index, Span<float> destination)
    {
        var size = Images.Rows * Images.Columns;
        var pixels = Images.Pixels.AsSpan(index * size, size);
        for (var i = 0; i < size; i++)
        {
            destination[i] = (pixels[i] / 127.5f) - 1f;
        }
    }

    private static string Find(string directory, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException(
            $"'{stem}.gz' is missing from '{directory}'. Install the data with 'apt-get install {DebianPackage}'.",
            Path.Combine(directory, stem + ".gz"));
    }
}
