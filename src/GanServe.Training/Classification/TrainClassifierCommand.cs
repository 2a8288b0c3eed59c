using GanServe.Training.Cli;
using GanServe.Training.Data;

namespace GanServe.Training.Classification;

/// <summary>The <c>train-classifier</c> command: trains the evaluation classifier and exports it with a parity check.</summary>
public static class TrainClassifierCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        train-classifier [--data DIR] [--out runs/fashion-classifier] [--models models] [--name fashion-classifier]
              [--version 1] [--epochs 3] [--batch-size 128] [--lr 1e-3] [--seed 1] [--limit N] [--threads N]
        """;

    /// <summary>Parses the options of <c>train-classifier</c>.</summary>
    public static ClassifierOptions Parse(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var options = new ClassifierOptions
        {
            DataDirectory = cl.Text("data", FashionMnist.DefaultDirectory),
            OutputDirectory = cl.Text("out", "runs/fashion-classifier"),
            ModelsDirectory = cl.Text("models", "models"),
            Name = cl.Text("name", "fashion-classifier"),
            Version = Positive(cl.Int("version", 1), "version"),
            Epochs = Positive(cl.Int("epochs", 3), "epochs"),
            BatchSize = Positive(cl.Int("batch-size", 128), "batch-size"),
            LearningRate = cl.Double("lr", 1e-3),
            Seed = cl.Int("seed", 1),
            Limit = cl.Int("limit", 0),
            Threads = cl.Int("threads", 0),
        };
        if (!(options.LearningRate > 0))
        {
            throw new UsageException("--lr must be positive.");
        }

        return options;
    }

    /// <summary>Trains, exports and prints the test accuracy.</summary>
    public static int Run(CommandLine cl)
    {
        var options = Parse(cl);
        cl.RejectUnknown();
        var (result, run) = TrainAndExport(options, Console.Out);
        using (run.Model)
        {
            Console.WriteLine(
                $"Done: test accuracy {run.TestAccuracy:P2} after {run.Epochs} epochs ({run.Steps} steps) in {run.WallTimeSeconds:F0} s. " +
                $"Wrote {result.ModelPath} (parity {result.MaxRelativeDifference:E2} ≤ {ClassifierExport.Tolerance:E0}), card {result.CardPath}.");
        }

        return 0;
    }

    /// <summary>Loads the data, trains and exports; the caller disposes the returned network.</summary>
    public static (ClassifierExportResult Result, ClassifierRun Run) TrainAndExport(ClassifierOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (!Export.ModelNames.IsValid(options.Name))
        {
            throw new UsageException($"Model name '{options.Name}' must match ^[a-z0-9][a-z0-9-]{{0,62}}$.");
        }

        var train = FashionMnist.Load(options.DataDirectory, train: true);
        var test = FashionMnist.Load(options.DataDirectory, train: false);
        var used = options.Limit > 0 ? Math.Min(options.Limit, train.Count) : train.Count;
        log.WriteLine($"Training the classifier on {used} images, testing on {test.Count}, from {options.DataDirectory}; run folder {options.OutputDirectory}.");
        var run = ClassifierTrainer.Train(options, train, test, log);
        try
        {
            return (ClassifierExport.Export(run, options, ParityImages(test)), run);
        }
        catch
        {
            run.Model.Dispose();
            throw;
        }
    }

    /// <summary>Enough test images for the largest parity batch, repeating them when the split is smaller.</summary>
    private static float[] ParityImages(FashionMnist test)
    {
        var count = ClassifierExport.BatchSizes.Max();
        var size = test.Images.Rows * test.Images.Columns;
        var pixels = new float[count * size];
        for (var i = 0; i < count; i++)
        {
            test.CopyScaled(i % test.Count, pixels.AsSpan(i * size, size));
        }

        return pixels;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new UsageException($"--{name} must be positive.");
}
