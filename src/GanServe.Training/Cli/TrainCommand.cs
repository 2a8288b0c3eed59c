using GanServe.Training.Data;
using GanServe.Training.Training;

namespace GanServe.Training.Cli;

/// <summary>The <c>train</c> command.</summary>
public static class TrainCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        train [--data DIR] [--out DIR] [--epochs 20] [--batch-size 128] [--lr-g 2e-4] [--lr-d 2e-4]
              [--beta1 0.5] [--beta2 0.999] [--ema-decay 0.999] [--real-label 1.0] [--seed 1]
              [--lr-decay-from EPOCH] [--g-width 128] [--d-width 64] [--refine] [--spectral-norm]
              [--init-generator CHECKPOINT_DIR] [--d-warmup-steps N]
              [--loss non-saturating|minimax] [--max-steps N] [--limit N] [--threads N] [--resume]
        """;

    /// <summary>Parses the options of <c>train</c>.</summary>
    public static TrainOptions Parse(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var loss = cl.Text("loss", "non-saturating") switch
        {
            "non-saturating" or "nonsaturating" or "ns" => GeneratorLoss.NonSaturating,
            "minimax" or "saturating" => GeneratorLoss.Minimax,
            var other => throw new UsageException($"--loss must be non-saturating or minimax, got '{other}'."),
        };
        var options = new TrainOptions
        {
            DataDirectory = cl.Text("data", FashionMnist.DefaultDirectory),
            OutputDirectory = cl.Text("out", "runs/fashion-dcgan"),
            Epochs = Positive(cl.Int("epochs", 20), "epochs"),
            BatchSize = Positive(cl.Int("batch-size", 128), "batch-size"),
            GeneratorLearningRate = cl.Double("lr-g", 2e-4),
            DiscriminatorLearningRate = cl.Double("lr-d", 2e-4),
            Beta1 = cl.Double("beta1", 0.5),
            Beta2 = cl.Double("beta2", 0.999),
            EmaDecay = cl.Double("ema-decay", 0.999),
            LearningRateDecayFromEpoch = cl.Int("lr-decay-from", 0),
            RealLabel = cl.Double("real-label", 1.0),
            Seed = cl.Int("seed", 1),
            Loss = loss,
            MaxSteps = cl.Int("max-steps", 0),
            Limit = cl.Int("limit", 0),
            Threads = cl.Int("threads", 0),
            Resume = cl.Flag("resume"),
            GeneratorWidth = Positive(cl.Int("g-width", 128), "g-width"),
            DiscriminatorWidth = Positive(cl.Int("d-width", 64), "d-width"),
            GeneratorRefine = cl.Flag("refine"),
            DiscriminatorSpectralNorm = cl.Flag("spectral-norm"),
            InitGeneratorFrom = cl.Text("init-generator"),
            DiscriminatorWarmupSteps = cl.Int("d-warmup-steps", 0),
        };
        if (options.LearningRateDecayFromEpoch < 0 || options.LearningRateDecayFromEpoch >= options.Epochs)
        {
            throw new UsageException("--lr-decay-from must be an epoch before --epochs (0 = no decay).");
        }

        if (options.GeneratorWidth % (options.GeneratorRefine ? 4 : 2) != 0)
        {
            throw new UsageException($"--g-width must be a multiple of {(options.GeneratorRefine ? 4 : 2)}.");
        }

        if (options.DiscriminatorWarmupSteps < 0)
        {
            throw new UsageException("--d-warmup-steps must be 0 or positive.");
        }

        if (options.InitGeneratorFrom is { } init && !File.Exists(Path.Combine(init, "generator-ema.bin")))
        {
            throw new UsageException($"--init-generator: '{init}' is not a checkpoint folder (no generator-ema.bin).");
        }

        if (options.EmaDecay is < 0 or >= 1)
        {
            throw new UsageException("--ema-decay must be in [0, 1).");
        }

        return options;
    }

    /// <summary>Trains and writes the run's outputs.</summary>
    public static int Run(CommandLine cl)
    {
        var options = Parse(cl);
        cl.RejectUnknown();
        var data = FashionMnist.Load(options.DataDirectory, train: true);
        Console.WriteLine($"Training on {data.Count} images from {options.DataDirectory}; run folder {options.OutputDirectory}.");
        using var trainer = new GanTrainer(options, Console.Out);
        var summary = trainer.Train(data);
        var paths = new RunPaths(options.OutputDirectory);
        LossCurve.Save(StepMetrics.ReadCsv(paths.Metrics), paths.LossCurve, $"DCGAN on Fashion-MNIST ({options.Loss})");
        Console.WriteLine($"Done: {summary.Epochs} epochs, {summary.Steps} steps in {summary.WallTimeSeconds:F0} s. " +
                          $"Final D loss {summary.DiscriminatorLoss:F4}, G loss {summary.GeneratorLoss:F4}. Loss curve: {paths.LossCurve}");
        return 0;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new UsageException($"--{name} must be positive.");
}
