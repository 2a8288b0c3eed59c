using GanServe.Training.Classification;

namespace GanServe.Training.Tests;

/// <summary>A classifier trained for a few steps on synthetic IDX data and exported into a temporary model repository.</summary>
internal static class TinyClassifier
{
    public const string Name = "tiny-classifier";

    private static readonly Lazy<Trained> Instance = new(() =>
    {
        var data = SyntheticIdx.DataDirectory(trainCount: 256, testCount: 64);
        var options = Options(data, Directory.CreateTempSubdirectory("classifier-run-").FullName, Directory.CreateTempSubdirectory("models-").FullName);
        var (result, run) = TrainClassifierCommand.TrainAndExport(options, TextWriter.Null);
        run.Model.Dispose();
        return new Trained(data, options, result);
    });

    public static Trained Value => Instance.Value;

    public static ClassifierOptions Options(string data, string run, string models) => new()
    {
        DataDirectory = data,
        OutputDirectory = run,
        ModelsDirectory = models,
        Name = Name,
        Epochs = 1,
        BatchSize = 16,
        Limit = 64,
        Seed = 5,
        Threads = 1,
    };

    /// <summary>The network as it was exported, loaded from the run's last checkpoint in eval mode.</summary>
    public static FashionClassifier Load()
    {
        var model = new FashionClassifier();
        model.load(Path.Combine(Value.Options.OutputDirectory, "checkpoints", "epoch-001", "classifier.bin"));
        model.eval();
        return model;
    }

    public sealed record Trained(string DataDirectory, ClassifierOptions Options, ClassifierExportResult Result);
}
