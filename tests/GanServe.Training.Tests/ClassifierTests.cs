using GanServe.Core.Cards;
using GanServe.Onnx;
using GanServe.Training.Classification;
using GanServe.Training.Data;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace GanServe.Training.Tests;

public sealed class ClassifierTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Parity_ExportedClassifier_MatchesTorchSharpEvalOutput(int batch)
    {
        using var model = TinyClassifier.Load();
        var onnx = ClassifierGraph.ToBytes(ClassifierExport.ToWeights(model));

        var difference = ClassifierExport.MaxRelativeDifference(model, onnx, TestImages(batch), [batch]);

        Assert.InRange(difference, 0, ClassifierExport.Tolerance);
    }

    [Fact]
    public void Parity_GraphFromOtherWeights_IsDetectedAndRefused()
    {
        using var model = TinyClassifier.Load();
        var onnx = ClassifierGraph.ToBytes(ClassifierExport.ToWeights(model));
        using (no_grad())
        {
            model.Output.bias!.add_(0.01f);
        }

        var difference = ClassifierExport.MaxRelativeDifference(model, onnx, TestImages(7), [7]);

        Assert.True(difference > ClassifierExport.Tolerance);
        Assert.Throws<InvalidOperationException>(() => ClassifierExport.EnsureParity(difference));
        Assert.Throws<InvalidOperationException>(() => ClassifierExport.EnsureParity(double.NaN));
    }

    [Fact]
    public void TrainAndExport_SyntheticData_WritesClassifierCardAndTwoOutputGraph()
    {
        var result = TinyClassifier.Value.Result;

        var card = ModelCardJson.Load(result.CardPath);
        Assert.Equal("classifier", card.Kind);
        Assert.Equal(ModelCardJson.Sha256Of(result.ModelPath), card.Versions["1"].Sha256);
        Assert.Equal(FashionMnist.ClassNames, ClassifierCard.ClassNames(card));
        Assert.InRange(ClassifierCard.TestAccuracy(card), 0, 1);
        Assert.Equal(4, card.Training!.Steps);
        Assert.InRange(card.Parity!.MaxAbsDifference, 0, ClassifierExport.Tolerance);
        using var session = new InferenceSession(result.ModelPath);
        Assert.Equal(new[] { -1, 1, 28, 28 }, session.InputMetadata["image"].Dimensions);
        Assert.Equal(new[] { -1, 10 }, session.OutputMetadata["logits"].Dimensions);
        Assert.Equal(new[] { -1, 128 }, session.OutputMetadata["features"].Dimensions);
        Assert.DoesNotContain(ReadNodeTypes(result.ModelPath), op => op == "BatchNormalization");
    }

    [Fact]
    public void TrainAndExport_SameSeedTwice_GivesTheSameModelFile()
    {
        var data = TinyClassifier.Value.DataDirectory;
        string Train()
        {
            var options = TinyClassifier.Options(data, Directory.CreateTempSubdirectory("classifier-seed-").FullName, Directory.CreateTempSubdirectory("models-").FullName);
            var (result, run) = TrainClassifierCommand.TrainAndExport(options, TextWriter.Null);
            run.Model.Dispose();
            return ModelCardJson.Sha256Of(result.ModelPath);
        }

        Assert.Equal(Train(), Train());
    }

    private static float[] TestImages(int count) =>
        ClassifierTrainer.ScaledPixels(FashionMnist.Load(TinyClassifier.Value.DataDirectory, train: false), count);

    private static List<string> ReadNodeTypes(string path)
    {
        using var stream = File.OpenRead(path);
        return [.. global::Onnx.ModelProto.Parser.ParseFrom(stream).Graph.Node.Select(n => n.OpType)];
    }
}
