namespace GanServe.Training.Training;

/// <summary>Generator loss forms.</summary>
public enum GeneratorLoss
{
    /// <summary>G minimises −log D(G(z)): strong gradients while D rejects the samples.</summary>
    NonSaturating,

    /// <summary>G minimises log(1 − D(G(z))), the original minimax form, which saturates early.</summary>
    Minimax,
}

/// <summary>Settings of one training run.</summary>
public sealed record TrainOptions
{
    /// <summary>Folder holding the IDX files.</summary>
    public string DataDirectory { get; init; } = Data.FashionMnist.DefaultDirectory;

    /// <summary>Run folder: checkpoints, samples, metrics.</summary>
    public string OutputDirectory { get; init; } = "runs/fashion-dcgan";

    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Stop after this many steps in total (0 = no limit); for tests and experiments.</summary>
    public long MaxSteps { get; init; }

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Use only the first N training images (0 = all).</summary>
    public int Limit { get; init; }

    /// <summary>Generator learning rate.</summary>
    public double GeneratorLearningRate { get; init; } = 2e-4;

    /// <summary>Discriminator learning rate.</summary>
    public double DiscriminatorLearningRate { get; init; } = 2e-4;

    /// <summary>Adam β1.</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Adam β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>
    /// Epoch after which both learning rates fall linearly, step by step, to zero at the run's last step
    /// (0 = constant rates). Set on a resumed run to anneal a trained pair.
    /// </summary>
    public int LearningRateDecayFromEpoch { get; init; }

    /// <summary>Decay of the generator weight average.</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Target for real images in D's loss (1 = no smoothing; 0.9 = one-sided label smoothing).</summary>
    public double RealLabel { get; init; } = 1.0;

    /// <summary>Random seed: same seed, same losses.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Generator loss form.</summary>
    public GeneratorLoss Loss { get; init; } = GeneratorLoss.NonSaturating;

    /// <summary>Latent size.</summary>
    public int LatentDim { get; init; } = 100;

    /// <summary>Generator width (channels of its first feature map).</summary>
    public int GeneratorWidth { get; init; } = 128;

    /// <summary>Discriminator width (channels of its first layer).</summary>
    public int DiscriminatorWidth { get; init; } = 64;

    /// <summary>Give the generator a 28×28 stage of a quarter of its width and a 3×3 output layer.</summary>
    public bool GeneratorRefine { get; init; }

    /// <summary>Spectrally normalise the discriminator's layers (and drop its BatchNorm).</summary>
    public bool DiscriminatorSpectralNorm { get; init; }

    /// <summary>
    /// A checkpoint folder whose generator (live and averaged) a new run starts from, instead of a fresh
    /// initialisation; the discriminator and both optimisers start fresh. Ignored on resume.
    /// </summary>
    public string? InitGeneratorFrom { get; init; }

    /// <summary>Steps at the start of the run in which only the discriminator learns (the generator is held).</summary>
    public long DiscriminatorWarmupSteps { get; init; }

    /// <summary>Continue from the newest checkpoint in the output folder.</summary>
    public bool Resume { get; init; }

    /// <summary>Torch intra-op threads (0 = libtorch's default).</summary>
    public int Threads { get; init; }
}
