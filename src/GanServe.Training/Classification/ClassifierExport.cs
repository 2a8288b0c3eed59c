using System.Globalization;
using GanServe.Core.Cards;
using GanServe.Onnx;
using GanServe.Training.Cli;
using GanServe.Training.Data;
using GanServe.Training.Export;
using Microsoft.ML.OnnxRuntime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Classification;

/// <summary>
/// Maps <see cref="FashionClassifier"/> onto <see cref="ClassifierGraph"/>, proves parity with TorchSharp, and writes
/// <c>models/&lt;name&gt;/&lt;version&gt;/model.onnx</c> and the <c>"kind": "classifier"</c> card.
/// </summary>
public static class ClassifierExport
{
    /// <summary>Largest allowed max |onnx − torch| / max(1, |torch|) over logits and features.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The batch sizes the exporter checks.</summary>
    public static IReadOnlyList<int> BatchSizes { get; } = [1, 7, 64];

    /// <summary>Copies the network's weights (BatchNorm in eval form: running statistics) into plain arrays.</summary>
    public static ClassifierWeights ToWeights(FashionClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ClassifierWeights(
            1,
            FashionClassifier.ImageSize,
            FashionClassifier.ImageSize,
            [
                new ConvBlockWeights(Conv(model.Conv1), GeneratorExport.Norm(model.Norm1), 2),
                new ConvBlockWeights(Conv(model.Conv2), GeneratorExport.Norm(model.Norm2), 2),
            ],
            Dense(model.Hidden),
            Dense(model.Output));
    }

    /// <summary>
    /// Runs <paramref name="onnx"/> in ONNX Runtime and the network in TorchSharp (eval mode) on the first images of
    /// <paramref name="images"/> at each batch size; returns the largest max |a − b| / max(1, |b|) over both outputs.
    /// </summary>
    public static double MaxRelativeDifference(FashionClassifier model, byte[] onnx, float[] images, IEnumerable<int> batchSizes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(batchSizes);
        const int Size = FashionClassifier.ImageSize * FashionClassifier.ImageSize;
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, sessionOptions);
        var wasTraining = model.training;
        model.eval();
        double worst = 0;
        try
        {
            foreach (var batch in batchSizes)
            {
                if ((long)batch * Size > images.Length)
                {
                    throw new ArgumentException($"Parity at batch {batch} needs {batch} images; {images.Length / Size} given.");
                }

                var input = images.AsSpan(0, batch * Size).ToArray();
                float[] logits, features;
                using (no_grad())
                using (NewDisposeScope())
                {
                    var (l, f) = model.LogitsAndFeatures(tensor(input, [batch, 1, FashionClassifier.ImageSize, FashionClassifier.ImageSize]));
                    logits = l.data<float>().ToArray();
                    features = f.data<float>().ToArray();
                }

                using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, 1, FashionClassifier.ImageSize, FashionClassifier.ImageSize]);
                using var runOptions = new RunOptions();
                using var outputs = session.Run(runOptions, [ClassifierGraph.InputName], [value], [ClassifierGraph.LogitsName, ClassifierGraph.FeaturesName]);
                worst = Math.Max(worst, RelativeDifference(outputs[0].GetTensorDataAsSpan<float>(), logits, $"logits at batch {batch}"));
                worst = Math.Max(worst, RelativeDifference(outputs[1].GetTensorDataAsSpan<float>(), features, $"features at batch {batch}"));
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return worst;
    }

    /// <summary>Throws unless the difference is within <see cref="Tolerance"/> (NaN fails too).</summary>
    public static void EnsureParity(double difference)
    {
        if (!(difference <= Tolerance))
        {
            throw new InvalidOperationException(
                $"Parity check failed: ONNX Runtime differs from TorchSharp by {difference:E3} (relative, > {Tolerance:E0}); no model written.");
        }
    }

    /// <summary>
    /// Exports a trained run: builds the graph, checks parity on the first test images, and only then writes the model
    /// file and the card.
    /// </summary>
    public static ClassifierExportResult Export(ClassifierRun run, ClassifierOptions options, float[] parityImages)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        if (!ModelNames.IsValid(options.Name))
        {
            throw new UsageException($"Model name '{options.Name}' must match ^[a-z0-9][a-z0-9-]{{0,62}}$.");
        }

        if (options.Version <= 0)
        {
            throw new UsageException("--version must be a positive integer.");
        }

        var onnx = ClassifierGraph.ToBytes(ToWeights(run.Model));
        var difference = MaxRelativeDifference(run.Model, onnx, parityImages, BatchSizes);
        EnsureParity(difference);

        var modelDir = Path.Combine(options.ModelsDirectory, options.Name);
        var version = options.Version.ToString(CultureInfo.InvariantCulture);
        var relativeFile = $"{version}/model.onnx";
        var modelPath = Path.Combine(modelDir, relativeFile);
        Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
        File.WriteAllBytes(modelPath, onnx);

        var cardPath = Path.Combine(modelDir, "model.json");
        var card = File.Exists(cardPath) ? ModelCardJson.Load(cardPath) : new ModelCard { Name = options.Name, Kind = ModelCard.ClassifierKind };
        Describe(card, run, options, difference);
        card.Versions[version] = new ModelVersionInfo
        {
            File = relativeFile,
            Sha256 = ModelCardJson.Sha256Of(modelPath),
            Created = DateTimeOffset.UtcNow,
        };
        ModelCardJson.Save(card, cardPath);
        return new ClassifierExportResult(modelPath, cardPath, difference);
    }

    private static void Describe(ModelCard card, ClassifierRun run, ClassifierOptions options, double difference)
    {
        card.Name = options.Name;
        card.Kind = ModelCard.ClassifierKind;
        card.Description = "Fashion-MNIST classifier trained by GanServe.Training; its penultimate-layer features measure generator quality (Fréchet distance).";
        card.Data = string.Create(
            CultureInfo.InvariantCulture,
            $"Fashion-MNIST (Debian package dataset-fashion-mnist): trained on {run.TrainImages} training images, accuracy measured on {run.TestImages} test images; grey 28×28, pixels scaled to [-1, 1]");
        card.Architecture = "Conv(1→32, 3×3, pad 1) → BatchNorm → ReLU → MaxPool 2 → Conv(32→64, 3×3, pad 1) → BatchNorm → ReLU → MaxPool 2 → " +
                            "Flatten(3136) → Linear(3136→128) → ReLU (output 'features') → Linear(128→10) (output 'logits')";
        card.Channels = 1;
        card.Width = FashionClassifier.ImageSize;
        card.Height = FashionClassifier.ImageSize;
        card.InputName = ClassifierGraph.InputName;
        card.OutputName = ClassifierGraph.LogitsName;
        card.Opset = ClassifierGraph.Opset;
        card.ExportedWeights = "weights after the last epoch, BatchNorm folded into the convolutions using the running statistics";
        card.Parity = new ParityReport { MaxAbsDifference = difference, Tolerance = Tolerance, BatchSizes = [.. BatchSizes] };
        card.Training = new TrainingReport
        {
            Loss = "cross-entropy",
            Epochs = run.Epochs,
            Steps = run.Steps,
            BatchSize = options.BatchSize,
            WallTimeSeconds = Math.Round(run.WallTimeSeconds, 1),
            Seed = options.Seed,
            FinalLosses = new Dictionary<string, double>
            {
                ["trainLoss"] = Math.Round(run.TrainLoss, 4),
                ["trainAccuracy"] = Math.Round(run.TrainAccuracy, 4),
            },
            Hyperparameters = new Dictionary<string, double>
            {
                ["learningRate"] = options.LearningRate,
                ["adamBeta1"] = 0.9,
                ["adamBeta2"] = 0.999,
                ["cosineDecaySteps"] = run.Steps,
            },
        };
        ClassifierCard.Describe(card, run.TestAccuracy, FashionMnist.ClassNames);
    }

    private static Conv2dWeights Conv(Conv2d conv)
    {
        var shape = conv.weight!.shape;
        return new Conv2dWeights(
            GeneratorExport.Array(conv.weight),
            conv.bias is null ? null : GeneratorExport.Array(conv.bias),
            (int)shape[1],
            (int)shape[0],
            (int)shape[2],
            (int)conv.stride[0],
            (int)conv.padding![0]);
    }

    private static DenseWeights Dense(Linear linear)
    {
        var shape = linear.weight!.shape;
        return new DenseWeights(GeneratorExport.Array(linear.weight), linear.bias is null ? null : GeneratorExport.Array(linear.bias), (int)shape[1], (int)shape[0]);
    }


    private static double RelativeDifference(ReadOnlySpan<float> actual, float[] expected, string what)
    {
        if (actual.Length != expected.Length)
        {
            throw new InvalidOperationException($"ONNX gives {actual.Length} values for {what}; TorchSharp gave {expected.Length}.");
        }

        double worst = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var difference = Math.Abs((double)actual[i] - expected[i]) / Math.Max(1.0, Math.Abs((double)expected[i]));
            worst = double.IsNaN(difference) ? double.NaN : Math.Max(worst, difference);
            if (double.IsNaN(worst))
            {
                return worst;
            }
        }

        return worst;
    }
}

/// <summary>Where the classifier export wrote and how close it was.</summary>
public sealed record ClassifierExportResult(string ModelPath, string CardPath, double MaxRelativeDifference);
