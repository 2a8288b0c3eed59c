using GanServe.Training.Data;
using GanServe.Training.Training;

namespace GanServe.Training.Tests;

public sealed class TrainingTests
{
    private static TrainOptions TinyRun(string outDir, GeneratorLoss loss = GeneratorLoss.NonSaturating) => new()
    {
        OutputDirectory = outDir,
        Epochs = 2,
        BatchSize = 16,
        Limit = 64,
        GeneratorWidth = 16,
        DiscriminatorWidth = 8,
        Seed = 7,
        Loss = loss,
        Threads = 1,
    };

    private static readonly Lazy<FashionMnist> Data = new(() => FashionMnist.Load(SyntheticIdx.DataDirectory(), train: true));

    [Theory]
    [InlineData(GeneratorLoss.NonSaturating)]
    [InlineData(GeneratorLoss.Minimax)]
    public void Train_FewStepsOnSyntheticData_GivesFiniteLossesAndArtifacts(GeneratorLoss loss)
    {
        var dir = Directory.CreateTempSubdirectory("run-").FullName;
        using var trainer = new GanTrainer(TinyRun(dir, loss), TextWriter.Null);

        var summary = trainer.Train(Data.Value);

        var paths = new RunPaths(dir);
        var metrics = StepMetrics.ReadCsv(paths.Metrics);
        Assert.Equal(8, summary.Steps);
        Assert.Equal(8, metrics.Count);
        Assert.All(metrics, m =>
        {
            Assert.True(double.IsFinite(m.DiscriminatorLoss) && double.IsFinite(m.GeneratorLoss));
            Assert.True(m.GeneratorGradNorm > 0 && double.IsFinite(m.GeneratorGradNorm));
            Assert.InRange(m.MeanDReal, 0, 1);
            Assert.InRange(m.MeanDFake, 0, 1);
        });
        Assert.True(File.Exists(Path.Combine(paths.Samples, "epoch-002.png")));
        Assert.True(File.Exists(Path.Combine(paths.Checkpoints, "epoch-002", "generator-ema.bin")));
        if (loss == GeneratorLoss.Minimax)
        {
            Assert.All(metrics, m => Assert.True(m.GeneratorLoss < 0, "log(1 - D(G(z))) is negative"));
        }
    }

    [Fact]
    public void Train_SameSeedTwice_GivesIdenticalLosses()
    {
        var first = RunAndReadLosses();
        var second = RunAndReadLosses();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Train_ResumeFromCheckpoint_ContinuesExactlyAsAnUninterruptedRun()
    {
        var uninterrupted = RunAndReadLosses();
        var dir = Directory.CreateTempSubdirectory("resume-").FullName;
        using (var firstHalf = new GanTrainer(TinyRun(dir) with { Epochs = 1 }, TextWriter.Null))
        {
            firstHalf.Train(Data.Value);
        }

        using var resumed = new GanTrainer(TinyRun(dir) with { Resume = true }, TextWriter.Null);
        var summary = resumed.Train(Data.Value);

        var losses = StepMetrics.ReadCsv(new RunPaths(dir).Metrics).Select(m => (m.Step, m.DiscriminatorLoss, m.GeneratorLoss)).ToList();
        Assert.Equal(8, summary.Steps);
        Assert.Equal(string.Join("\n", uninterrupted), string.Join("\n", losses));
    }

    [Fact]
    public void Train_ResumeAfterAKillLeftAHalfWrittenMetricsRow_Continues()
    {
        var uninterrupted = RunAndReadLosses();
        var dir = Directory.CreateTempSubdirectory("killed-").FullName;
        using (var firstHalf = new GanTrainer(TinyRun(dir) with { Epochs = 1 }, TextWriter.Null))
        {
            firstHalf.Train(Data.Value);
        }

        // What a kill during epoch 2 leaves: a row past the checkpoint and one cut off mid-number.
        var metrics = new RunPaths(dir).Metrics;
        File.AppendAllText(metrics, "5,2,0.5,1.5,0.6,0.3,2.0,1.000\n6,2,0.82");

        using var resumed = new GanTrainer(TinyRun(dir) with { Resume = true }, TextWriter.Null);
        resumed.Train(Data.Value);

        var losses = StepMetrics.ReadCsv(metrics).Select(m => (m.Step, m.DiscriminatorLoss, m.GeneratorLoss)).ToList();
        Assert.Equal(string.Join("\n", uninterrupted), string.Join("\n", losses));
    }

    [Fact]
    public void Train_ResumeWithoutCheckpoint_Throws()
    {
        var dir = Directory.CreateTempSubdirectory("empty-").FullName;
        using var trainer = new GanTrainer(TinyRun(dir) with { Resume = true }, TextWriter.Null);

        var ex = Assert.Throws<InvalidOperationException>(() => trainer.Train(Data.Value));

        Assert.Contains("no checkpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_WithLearningRateDecay_MatchesConstantRatesUntilTheDecayStartsThenDiffers()
    {
        var constant = RunAndReadLosses();

        var decayed = RunAndReadLosses(o => o with { LearningRateDecayFromEpoch = 1 });

        // 4 steps per epoch: epoch 1 runs at the base rates in both runs, epoch 2 anneals.
        Assert.Equal(constant.Take(4), decayed.Take(4));
        Assert.NotEqual(constant.Skip(5), decayed.Skip(5));
    }

    [Fact]
    public void Train_ResumeWithNewEpochs_RewritesTheRunOptions()
    {
        var dir = Directory.CreateTempSubdirectory("options-").FullName;
        using (var first = new GanTrainer(TinyRun(dir) with { Epochs = 1 }, TextWriter.Null))
        {
            first.Train(Data.Value);
        }

        using (var resumed = new GanTrainer(TinyRun(dir) with { Resume = true, LearningRateDecayFromEpoch = 1 }, TextWriter.Null))
        {
            resumed.Train(Data.Value);
        }

        var options = System.Text.Json.JsonSerializer.Deserialize<TrainOptions>(File.ReadAllText(new RunPaths(dir).Options), GanTrainer.SummaryJson)!;
        Assert.Equal(2, options.Epochs);
        Assert.Equal(1, options.LearningRateDecayFromEpoch);
    }

    [Theory]
    [InlineData(5, 10, 20, true, 1.0)]
    [InlineData(10, 10, 20, true, 1.0)]
    [InlineData(11, 10, 20, true, 1.0)]
    [InlineData(12, 10, 20, true, 0.9)]
    [InlineData(20, 10, 20, true, 0.1)]
    [InlineData(15, 10, 20, false, 1.0)]
    [InlineData(15, 20, 20, true, 1.0)]
    public void LearningRateFactor_LinearDecayAfterStart_FallsToOneStepOfDecayAtTheEnd(long step, long start, long total, bool decay, double expected)
    {
        Assert.Equal(expected, GanTrainer.LearningRateFactor(step, start, total, decay), 12);
    }

    private static List<(long, double, double)> RunAndReadLosses(Func<TrainOptions, TrainOptions>? change = null)
    {
        var dir = Directory.CreateTempSubdirectory("seed-").FullName;
        using (var trainer = new GanTrainer((change ?? (o => o))(TinyRun(dir)), TextWriter.Null))
        {
            trainer.Train(Data.Value);
        }

        return StepMetrics.ReadCsv(new RunPaths(dir).Metrics).Select(m => (m.Step, m.DiscriminatorLoss, m.GeneratorLoss)).ToList();
    }
}

public sealed class StepMetricsTests
{
    [Fact]
    public void ReadCsv_HalfWrittenLastRow_IsSkipped()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("csv-").FullName, "metrics.csv");
        var row = new StepMetrics(1, 1, 0.5, 1.5, 0.7, 0.3, 2.0, 0.1);
        File.WriteAllText(path, $"{StepMetrics.CsvHeader}\n{row.ToCsv()}\n2,1,0.4");

        var rows = StepMetrics.ReadCsv(path);

        Assert.Equal([row], rows);
    }

    [Fact]
    public void ReadCsv_BrokenRowInTheMiddle_Throws()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("csv-").FullName, "metrics.csv");
        var row = new StepMetrics(3, 1, 0.5, 1.5, 0.7, 0.3, 2.0, 0.1);
        File.WriteAllText(path, $"{StepMetrics.CsvHeader}\n2,1,0.4\n{row.ToCsv()}\n");

        Assert.Throws<FormatException>(() => StepMetrics.ReadCsv(path));
    }
}
