using System.Text.Json;
using GanServe.Core.Cards;
using GanServe.Onnx;
using GanServe.Training.Data;
using GanServe.Training.Evaluation;
using Microsoft.ML.OnnxRuntime;

namespace GanServe.Training.Tests;

public sealed class EvaluateTests
{
    private const string Generator = "tiny-gan";

    [Fact]
    public void Evaluate_TinyGeneratorAndClassifier_WritesQualityAndChartIntoTheCard()
    {
        var models = TinyRepository();

        var result = QualityEvaluator.Evaluate(Request(models), TextWriter.Null);

        var card = ModelCardJson.Load(Path.Combine(models, Generator, "model.json"));
        var quality = card.Quality!.Value;
        Assert.Equal(
            ["samples", "frechetDistance", "frechetFloor", "frechetRatio", "classShares", "classesUnder5Percent", "klFromUniform", "meanConfidence", "classifier"],
            quality.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(200, quality.GetProperty("samples").GetInt32());
        var distance = quality.GetProperty("frechetDistance").GetDouble();
        var floor = quality.GetProperty("frechetFloor").GetDouble();
        Assert.True(distance > 0 && floor > 0);
        Assert.Equal(result.Quality.FrechetDistance / result.Quality.FrechetFloor, quality.GetProperty("frechetRatio").GetDouble(), 1e-3);
        var shares = quality.GetProperty("classShares").EnumerateObject().ToList();
        Assert.Equal(FashionMnist.ClassNames, shares.Select(s => s.Name).ToArray());
        Assert.Equal(1, shares.Sum(s => s.Value.GetDouble()), 1e-9);
        Assert.Equal(shares.Count(s => s.Value.GetDouble() < 0.05), quality.GetProperty("classesUnder5Percent").GetInt32());
        Assert.InRange(quality.GetProperty("klFromUniform").GetDouble(), 0, Math.Log(10) + 1e-9);
        Assert.InRange(quality.GetProperty("meanConfidence").GetDouble(), 0.1, 1);
        var classifier = quality.GetProperty("classifier");
        Assert.Equal(TinyClassifier.Name, classifier.GetProperty("name").GetString());
        Assert.Equal(1, classifier.GetProperty("version").GetInt32());
        Assert.InRange(classifier.GetProperty("testAccuracy").GetDouble(), 0, 1);

        // The rest of the card survives, and the chart is a listed asset.
        Assert.Equal("kept as written", card.Description);
        Assert.Equal(42, card.Training!.Steps);
        Assert.Equal("stays", card.Extra!["customField"].GetString());
        Assert.Equal(["sample-grid.png", QualityEvaluator.ChartFile], card.Assets);
        var chart = File.ReadAllBytes(Path.Combine(models, Generator, QualityEvaluator.ChartFile));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, chart.Take(4).ToArray());
        Assert.Contains("Fréchet distance", EvaluateCommand.Summary(result), StringComparison.Ordinal);

        // The breakdown is printed, not stored: the card keeps exactly the design's fields (checked above).
        var parts = result.Quality.Breakdown!;
        Assert.InRange(parts.MeanTerm, 0, result.Quality.FrechetDistance + 1e-9);
        Assert.True(parts.GeneratedVariance > 0 && parts.TestVariance > 0);
        Assert.Equal(10, parts.PerClass.Count);
        Assert.Equal(10, parts.PerClassFloor.Count);
        Assert.Contains("of which ‖mean difference‖²", EvaluateCommand.Summary(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_OlderVersion_MeasuresThatFileAndLeavesTheCardAlone()
    {
        var models = TinyRepository();
        var cardPath = Path.Combine(models, Generator, "model.json");
        var card = ModelCardJson.Load(cardPath);
        // Version 2: another generator; version 3: listed, its file missing.
        var second = Path.Combine(models, Generator, "2", "model.onnx");
        GeneratorGraph.Save(RandomGeneratorWeights.Create(latentDim: 8, channels: 1, projectChannels: 8, projectSize: 7, blocks: 1, seed: 12), second);
        card.Versions["2"] = new ModelVersionInfo { File = "2/model.onnx", Sha256 = ModelCardJson.Sha256Of(second) };
        card.Versions["3"] = new ModelVersionInfo { File = "3/model.onnx", Sha256 = new string('0', 64) };
        ModelCardJson.Save(card, cardPath);
        var before = File.ReadAllBytes(cardPath);

        var first = QualityEvaluator.Evaluate(Request(models) with { Version = 1 }, TextWriter.Null);
        var again = QualityEvaluator.Evaluate(Request(models) with { Version = 1 }, TextWriter.Null);
        var other = QualityEvaluator.Evaluate(Request(models) with { Version = 2 }, TextWriter.Null);

        Assert.Equal(before, File.ReadAllBytes(cardPath));
        Assert.False(File.Exists(Path.Combine(models, Generator, QualityEvaluator.ChartFile)));
        Assert.Null(first.CardPath);
        Assert.Contains("card and chart were left as they are", EvaluateCommand.Summary(first), StringComparison.Ordinal);
        Assert.Equal(first.Quality.FrechetDistance, again.Quality.FrechetDistance);
        Assert.NotEqual(first.Quality.FrechetDistance, other.Quality.FrechetDistance);
        Assert.Equal(first.Quality.FrechetFloor, other.Quality.FrechetFloor);
        var missing = Assert.Throws<FileNotFoundException>(() => QualityEvaluator.Evaluate(Request(models), TextWriter.Null));
        Assert.Contains("3/model.onnx", missing.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<GanServe.Training.Cli.UsageException>(() => QualityEvaluator.Evaluate(Request(models) with { Version = 9 }, TextWriter.Null));
        Assert.Contains("no version 9 (it lists 1, 2, 3)", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ModelFileNotMatchingItsCard_IsRefused()
    {
        var models = TinyRepository();
        File.AppendAllText(Path.Combine(models, Generator, "1", "model.onnx"), "tampered");

        var ex = Assert.Throws<InvalidDataException>(() => QualityEvaluator.Evaluate(Request(models), TextWriter.Null));

        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_Images_AreQuantisedToTheServersEightBitLevels()
    {
        var models = TinyRepository();
        using var session = new InferenceSession(Path.Combine(models, Generator, "1", "model.onnx"));

        var images = QualityEvaluator.Generate(session, 5, 2, 28 * 28);

        Assert.Equal(5 * 28 * 28, images.Length);
        Assert.All(images, v =>
        {
            var level = (v + 1) * 127.5;
            Assert.Equal(Math.Round(level), level, 1e-3);
            Assert.InRange(level, 0, 255.001);
        });
        Assert.True(images.Distinct().Count() > 10, "the random generator draws more than a handful of grey levels");
    }

    private static EvaluateRequest Request(string models) => new()
    {
        ModelsDirectory = models,
        Model = Generator,
        Classifier = TinyClassifier.Name,
        DataDirectory = TinyClassifier.Value.DataDirectory,
        Samples = 200,
        BatchSize = 64,
        Threads = 1,
    };

    /// <summary>A model repository holding a random-weight generator (with a card) and a copy of the tiny classifier.</summary>
    private static string TinyRepository()
    {
        var models = Directory.CreateTempSubdirectory("eval-models-").FullName;
        var classifier = Path.GetDirectoryName(TinyClassifier.Value.Result.CardPath)!;
        var classifierCopy = Path.Combine(models, TinyClassifier.Name);
        Directory.CreateDirectory(Path.Combine(classifierCopy, "1"));
        File.Copy(Path.Combine(classifier, "model.json"), Path.Combine(classifierCopy, "model.json"));
        File.Copy(Path.Combine(classifier, "1", "model.onnx"), Path.Combine(classifierCopy, "1", "model.onnx"));

        // 7×7 projection and one up-sampling block: 7 → 14 → 28.
        var onnxPath = Path.Combine(models, Generator, "1", "model.onnx");
        GeneratorGraph.Save(RandomGeneratorWeights.Create(latentDim: 8, channels: 1, projectChannels: 8, projectSize: 7, blocks: 1, seed: 11), onnxPath);
        File.WriteAllBytes(Path.Combine(models, Generator, "sample-grid.png"), []);
        var card = new ModelCard
        {
            Name = Generator,
            Kind = ModelCard.GeneratorKind,
            Description = "kept as written",
            Training = new TrainingReport { Steps = 42 },
            Assets = ["sample-grid.png"],
            Extra = new Dictionary<string, JsonElement> { ["customField"] = JsonSerializer.SerializeToElement("stays") },
        };
        card.Versions["1"] = new ModelVersionInfo { File = "1/model.onnx", Sha256 = ModelCardJson.Sha256Of(onnxPath) };
        ModelCardJson.Save(card, Path.Combine(models, Generator, "model.json"));
        return models;
    }
}
