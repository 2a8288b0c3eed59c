namespace GanServe.Training.Classification;

/// <summary>Settings of one classifier training run and its export.</summary>
public sealed record ClassifierOptions
{
    /// <summary>Folder holding the IDX files.</summary>
    public string DataDirectory { get; init; } = Data.FashionMnist.DefaultDirectory;

    /// <summary>Run folder: per-epoch checkpoints and the training log.</summary>
    public string OutputDirectory { get; init; } = "runs/fashion-classifier";

    /// <summary>The model repository the classifier is exported to.</summary>
    public string ModelsDirectory { get; init; } = "models";

    /// <summary>Model name (its folder under the repository).</summary>
    public string Name { get; init; } = "fashion-classifier";

    /// <summary>Version number of the export.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Random seed: fixes the initial weights and the shuffles, so the same seed gives the same classifier.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Use only the first N training images (0 = all); for tests and experiments.</summary>
    public int Limit { get; init; }

    /// <summary>Torch intra-op threads (0 = libtorch's default).</summary>
    public int Threads { get; init; }
}
