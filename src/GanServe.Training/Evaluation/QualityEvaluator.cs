using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GanServe.Core.Cards;
using GanServe.Core.Imaging;
using GanServe.Core.Latents;
using GanServe.Training.Classification;
using GanServe.Training.Cli;
using GanServe.Training.Data;
using GanServe.Training.Export;
using Microsoft.ML.OnnxRuntime;

namespace GanServe.Training.Evaluation;

/// <summary>
/// Measures a generator with the evaluation classifier, both run from their ONNX files in ONNX Runtime: the Fréchet
/// distance of penultimate-layer features against the test split (and the same distance for real training images,
/// the floor), class shares, their spread and the classifier's confidence. Writes the figures into the generator's
/// card as <c>quality</c> and a class-share chart beside it.
/// </summary>
public static class QualityEvaluator
{
    /// <summary>File name of the class-share chart, an asset of the generator's card.</summary>
    public const string ChartFile = "class-shares.png";

    /// <summary>Runs the evaluation and updates the generator's card.</summary>
    public static EvaluateResult Evaluate(EvaluateRequest request, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        if (request.Samples < 2)
        {
            throw new UsageException("--samples must be at least 2 (a covariance needs two vectors).");
        }

        if (request.BatchSize < 1)
        {
            throw new UsageException("--batch-size must be positive.");
        }

        var stages = new List<StageTime>();
        var clock = Stopwatch.StartNew();
        void Stage(string name)
        {
            stages.Add(new StageTime(name, clock.Elapsed.TotalSeconds));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {clock.Elapsed.TotalSeconds:F1} s"));
            clock.Restart();
        }

        var generatorModel = RepositoryModel.Open(request.ModelsDirectory, request.Model, ModelCard.GeneratorKind, request.Version);
        var writesCard = generatorModel.Version == generatorModel.Card.LatestVersion;
        var classifierModel = RepositoryModel.Open(request.ModelsDirectory, request.Classifier, ModelCard.ClassifierKind);
        var classNames = ClassifierCard.ClassNames(classifierModel.Card);
        var testAccuracy = ClassifierCard.TestAccuracy(classifierModel.Card);
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = Math.Max(0, request.Threads) };
        using var generator = new InferenceSession(generatorModel.FilePath, sessionOptions);
        using var classifier = new ClassifierSession(classifierModel, sessionOptions, classNames.Count);
        var imageSize = classifier.ImageValues;
        Stage("load models");

        var test = FashionMnist.Load(request.DataDirectory, train: false);
        var train = FashionMnist.Load(request.DataDirectory, train: true);
        var floorCount = Math.Min(request.Samples, train.Count);
        var testPixels = ClassifierTrainer.ScaledPixels(test, test.Count);
        var trainPixels = ClassifierTrainer.ScaledPixels(train, floorCount);
        if (test.Images.Rows * test.Images.Columns != imageSize)
        {
            throw new InvalidDataException($"The classifier takes {imageSize} pixels an image; the data has {test.Images.Rows}×{test.Images.Columns}.");
        }

        Stage("load data");

        var generated = Generate(generator, request.Samples, request.BatchSize, imageSize);
        Stage($"generate {request.Samples} images");

        var (generatedLogits, generatedFeatures) = classifier.Run(generated, request.Samples, request.BatchSize);
        Stage("classify generated");
        var (_, testFeatures) = classifier.Run(testPixels, test.Count, request.BatchSize);
        Stage($"classify {test.Count} test images");
        var (_, trainFeatures) = classifier.Run(trainPixels, floorCount, request.BatchSize);
        Stage($"classify {floorCount} training images");

        var testStats = FeatureStatistics.Of(testFeatures, test.Count, classifier.FeatureDim);
        var generatedStats = FeatureStatistics.Of(generatedFeatures, request.Samples, classifier.FeatureDim);
        var distance = FrechetDistance.Between(generatedStats, testStats);
        var floor = FrechetDistance.Between(FeatureStatistics.Of(trainFeatures, floorCount, classifier.FeatureDim), testStats);
        var shares = ClassShares.FromLogits(generatedLogits, classNames.Count);
        var breakdown = FrechetBreakdown.Of(
            generatedStats,
            testStats,
            ClassShares.Predictions(generatedLogits, classNames.Count),
            generatedFeatures,
            test.Labels,
            testFeatures,
            classifier.FeatureDim,
            classNames.Count) with
        {
            PerClassFloor = FrechetBreakdown.WithinClasses(
                trainFeatures, train.Labels.Take(floorCount).Select(l => (int)l).ToList(), testFeatures, test.Labels.Select(l => (int)l).ToList(), classifier.FeatureDim, classNames.Count),
        };
        Stage("statistics");

        var report = new QualityReport(
            request.Samples,
            distance,
            floor,
            floor > 0 ? distance / floor : double.PositiveInfinity,
            classNames,
            shares,
            classifierModel.Card.Name,
            classifierModel.Version,
            testAccuracy)
        {
            Breakdown = breakdown,
        };
        if (!writesCard)
        {
            // The card's quality describes the version the server serves by default; an older one is only printed.
            return new EvaluateResult(report, null, null, stages);
        }

        var card = generatorModel.Card;
        card.Quality = report.ToJson();
        var modelDir = Path.Combine(request.ModelsDirectory, request.Model);
        var chartPath = Path.Combine(modelDir, ChartFile);
        ClassShareChart.Save(classNames, shares.Shares, chartPath, $"{request.Model} v{generatorModel.Version}: classes of {request.Samples} generated images ({classifierModel.Card.Name})");
        if (!card.Assets.Contains(ChartFile))
        {
            card.Assets.Add(ChartFile);
        }

        var cardPath = Path.Combine(modelDir, "model.json");
        ModelCardJson.Save(card, cardPath);
        Stage("write card and chart");
        return new EvaluateResult(report, cardPath, chartPath, stages);
    }

    /// <summary>
    /// Seeds 0..count−1 through the generator, as 8-bit pixels mapped back to [-1, 1].
    /// </summary>
    /// <remarks>
    /// The images are quantised exactly as the server quantises them (<see cref="PixelConverter.ToLevel"/>) and then
    /// scaled as the data set's 8-bit pixels are (<see cref="FashionMnist.CopyScaled"/>), so the classifier sees what
    /// a user of the service gets, on the same grid of values as the real images it is compared with.
    /// </remarks>
    internal static float[] Generate(InferenceSession generator, int count, int batchSize, int imageValues)
    {
        var inputName = generator.InputNames[0];
        var outputName = generator.OutputNames[0];
        var inputDims = generator.InputMetadata[inputName].Dimensions;
        var outputDims = generator.OutputMetadata[outputName].Dimensions;
        if (inputDims.Length != 2 || inputDims[1] <= 0)
        {
            throw new InvalidDataException($"The generator's input '{inputName}' is not [N, latentDim].");
        }

        if (outputDims.Length != 4 || (long)outputDims[1] * outputDims[2] * outputDims[3] != imageValues)
        {
            throw new InvalidDataException(
                $"The generator's output '{outputName}' is [{string.Join(", ", outputDims)}]; the classifier takes images of {imageValues} values.");
        }

        var dim = inputDims[1];
        var images = new float[(long)count * imageValues];
        using var runOptions = new RunOptions();
        for (var start = 0; start < count; start += batchSize)
        {
            var batch = Math.Min(batchSize, count - start);
            var latents = new float[batch * dim];
            for (var i = 0; i < batch; i++)
            {
                SeedLatents.Fill((uint)(start + i), latents.AsSpan(i * dim, dim));
            }

            using var input = OrtValue.CreateTensorValueFromMemory(latents, [batch, dim]);
            using var outputs = generator.Run(runOptions, [inputName], [input], [outputName]);
            var values = outputs[0].GetTensorDataAsSpan<float>();
            var destination = images.AsSpan(start * imageValues, batch * imageValues);
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (PixelConverter.ToLevel(values[i]) / 127.5f) - 1f;
            }
        }

        return images;
    }

    /// <summary>The classifier's ONNX session with the names and sizes of its input and two outputs.</summary>
    private sealed class ClassifierSession : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly string _input;
        private readonly string _logits;
        private readonly string _features;
        private readonly long[] _imageDims;

        public ClassifierSession(RepositoryModel model, SessionOptions options, int classes)
        {
            _session = new InferenceSession(model.FilePath, options);
            _input = model.Card.InputName ?? _session.InputNames[0];
            _logits = model.Card.OutputName ?? GanServe.Onnx.ClassifierGraph.LogitsName;
            _features = ClassifierCard.FeaturesOutputName(model.Card);
            var dims = _session.InputMetadata.TryGetValue(_input, out var input) ? input.Dimensions
                : throw new InvalidDataException($"Classifier '{model.Card.Name}' has no input '{_input}'.");
            if (dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
            {
                throw new InvalidDataException($"Classifier '{model.Card.Name}' input '{_input}' is not [N, C, H, W].");
            }

            _imageDims = [.. dims.Skip(1).Select(d => (long)d)];
            ImageValues = (int)(_imageDims[0] * _imageDims[1] * _imageDims[2]);
            Classes = OutputWidth(model, _logits);
            FeatureDim = OutputWidth(model, _features);
            if (Classes != classes)
            {
                throw new InvalidDataException($"Classifier '{model.Card.Name}' has {Classes} logits but its card names {classes} classes.");
            }
        }

        public int ImageValues { get; }

        public int Classes { get; }

        public int FeatureDim { get; }

        public (float[] Logits, float[] Features) Run(float[] images, int count, int batchSize)
        {
            var logits = new float[(long)count * Classes];
            var features = new float[(long)count * FeatureDim];
            using var runOptions = new RunOptions();
            for (var start = 0; start < count; start += batchSize)
            {
                var batch = Math.Min(batchSize, count - start);
                var memory = images.AsMemory(start * ImageValues, batch * ImageValues);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, [batch, .. _imageDims]);
                using var outputs = _session.Run(runOptions, [_input], [input], [_logits, _features]);
                outputs[0].GetTensorDataAsSpan<float>().CopyTo(logits.AsSpan(start * Classes, batch * Classes));
                outputs[1].GetTensorDataAsSpan<float>().CopyTo(features.AsSpan(start * FeatureDim, batch * FeatureDim));
            }

            return (logits, features);
        }

        public void Dispose() => _session.Dispose();

        private int OutputWidth(RepositoryModel model, string name)
        {
            var dims = _session.OutputMetadata.TryGetValue(name, out var output) ? output.Dimensions
                : throw new InvalidDataException($"Classifier '{model.Card.Name}' has no output '{name}'.");
            return dims.Length == 2 && dims[1] > 0 ? dims[1]
                : throw new InvalidDataException($"Classifier '{model.Card.Name}' output '{name}' is not [N, width].");
        }
    }
}

/// <summary>What to evaluate, against which classifier and data.</summary>
public sealed record EvaluateRequest
{
    /// <summary>The model repository.</summary>
    public string ModelsDirectory { get; init; } = "models";

    /// <summary>The generator to measure.</summary>
    public required string Model { get; init; }

    /// <summary>Which of its versions (null: the highest, whose card entry then receives the figures).</summary>
    public int? Version { get; init; }

    /// <summary>The classifier that measures it.</summary>
    public string Classifier { get; init; } = "fashion-classifier";

    /// <summary>Folder holding the IDX files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;

    /// <summary>Generated images (seeds 0..Samples−1); also the number of training images behind the floor.</summary>
    public int Samples { get; init; } = 10_000;

    /// <summary>Images per ONNX Runtime call.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>ONNX Runtime intra-op threads (0 = its default).</summary>
    public int Threads { get; init; }
}

/// <summary>How long one stage of the evaluation took.</summary>
public sealed record StageTime(string Stage, double Seconds);

/// <summary>The figures written into the card, where they went, and the stage times.</summary>
/// <remarks><see cref="CardPath"/> and <see cref="ChartPath"/> are null when an older version was measured (nothing is written).</remarks>
public sealed record EvaluateResult(QualityReport Quality, string? CardPath, string? ChartPath, IReadOnlyList<StageTime> Stages);

/// <summary>The measured quality of a generator, as the card's <c>quality</c> object holds it.</summary>
public sealed record QualityReport(
    int Samples,
    double FrechetDistance,
    double FrechetFloor,
    double FrechetRatio,
    IReadOnlyList<string> ClassNames,
    ClassShares Shares,
    string ClassifierName,
    int ClassifierVersion,
    double ClassifierTestAccuracy)
{
    /// <summary>Where the distance comes from (printed by <c>evaluate</c>, not written into the card).</summary>
    public FrechetBreakdown? Breakdown { get; init; }

    /// <summary>The card's <c>quality</c> object, fields in the order the design names them.</summary>
    public JsonElement ToJson()
    {
        var shares = new JsonObject();
        for (var i = 0; i < ClassNames.Count; i++)
        {
            shares[ClassNames[i]] = Math.Round(Shares.Shares[i], 4);
        }

        var quality = new JsonObject
        {
            ["samples"] = Samples,
            ["frechetDistance"] = Math.Round(FrechetDistance, 4),
            ["frechetFloor"] = Math.Round(FrechetFloor, 4),
            ["frechetRatio"] = Math.Round(FrechetRatio, 3),
            ["classShares"] = shares,
            ["classesUnder5Percent"] = Shares.ClassesUnderFivePercent,
            ["klFromUniform"] = Math.Round(Shares.KlFromUniform, 4),
            ["meanConfidence"] = Math.Round(Shares.MeanConfidence, 4),
            ["classifier"] = new JsonObject
            {
                ["name"] = ClassifierName,
                ["version"] = ClassifierVersion,
                ["testAccuracy"] = Math.Round(ClassifierTestAccuracy, 4),
            },
        };
        return JsonSerializer.SerializeToElement(quality);
    }
}

/// <summary>A model in the repository: its card, its highest version and that version's file, checked against the card's SHA-256.</summary>
internal sealed record RepositoryModel(ModelCard Card, int Version, string FilePath)
{
    public static RepositoryModel Open(string modelsDirectory, string name, string kind, int? requestedVersion = null)
    {
        if (!ModelNames.IsValid(name))
        {
            throw new UsageException($"Model name '{name}' must match ^[a-z0-9][a-z0-9-]{{0,62}}$.");
        }

        var cardPath = Path.Combine(modelsDirectory, name, "model.json");
        if (!File.Exists(cardPath))
        {
            throw new FileNotFoundException($"No model card at '{cardPath}'.", cardPath);
        }

        var card = ModelCardJson.Load(cardPath);
        if (card.Kind != kind)
        {
            throw new InvalidDataException($"'{cardPath}' is a {card.Kind} card; a {kind} is needed here.");
        }

        var version = requestedVersion ?? card.LatestVersion ?? throw new InvalidDataException($"'{cardPath}' lists no versions.");
        if (!card.Versions.TryGetValue(version.ToString(CultureInfo.InvariantCulture), out var info))
        {
            throw new UsageException($"'{cardPath}' has no version {version} (it lists {string.Join(", ", card.Versions.Keys)}).");
        }

        var file = Path.Combine(modelsDirectory, name, info.File);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"'{cardPath}' names '{info.File}', which does not exist.", file);
        }

        var sha = ModelCardJson.Sha256Of(file);
        if (!string.Equals(sha, info.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"'{file}' has SHA-256 {sha}, but its card says {info.Sha256}.");
        }

        return new RepositoryModel(card, version, file);
    }
}
