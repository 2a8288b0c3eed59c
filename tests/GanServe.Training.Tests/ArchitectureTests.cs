using GanServe.Core.Cards;
using GanServe.Training.Cli;
using GanServe.Training.Data;
using GanServe.Training.Export;
using GanServe.Training.Gan;
using GanServe.Training.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Tests;

/// <summary>The refinement stage, the spectrally normalised discriminator and BatchNorm recalibration.</summary>
public sealed class ArchitectureTests
{
    private static readonly Lazy<(string Run, TrainOptions Options)> RefinedRun = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("refine-run-").FullName;
        var options = new TrainOptions
        {
            OutputDirectory = dir,
            Epochs = 1,
            BatchSize = 16,
            Limit = 64,
            GeneratorWidth = 16,
            DiscriminatorWidth = 8,
            GeneratorRefine = true,
            DiscriminatorSpectralNorm = true,
            Seed = 5,
            Threads = 1,
        };
        using var trainer = new GanTrainer(options, TextWriter.Null);
        trainer.Train(FashionMnist.Load(SyntheticIdx.DataDirectory(), train: true));
        return (dir, options);
    });

    [Fact]
    public void DefaultGenerator_KeepsTheStateNamesOfEarlierCheckpoints()
    {
        using var plain = new DcganGenerator(10, 8);
        using var refined = new DcganGenerator(10, 8, refine: true);

        var plainNames = plain.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        var refinedNames = refined.state_dict().Keys.ToHashSet();

        // v1 and v2 of the committed model were saved with exactly these layer names.
        Assert.Equal(
            ["_output", "_project", "_projectNorm", "_up", "_upNorm"],
            plainNames.Select(n => n.Split('.')[0]).Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("_up2.weight", refinedNames);
        Assert.Contains("_up2Norm.running_mean", refinedNames);
        Assert.Equal([2, 1, 3, 3], refined.Output.weight!.shape); // ConvTranspose weights are [in, out, k, k]
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void RefinedGenerator_ExportsWithParityAndTheImageShape(int batch)
    {
        using var generator = new DcganGenerator(12, 16, refine: true);
        DcganInit.Apply(generator);
        Randomise(generator);
        generator.eval();
        var weights = GeneratorExport.ToWeights(generator);
        var onnx = GanServe.Onnx.GeneratorGraph.ToBytes(weights);

        var difference = OnnxParity.MaxAbsDifference(generator, onnx, [batch]);

        Assert.InRange(difference, 0, 1e-5);
        Assert.Equal(2, weights.Blocks.Count);
        Assert.Equal(new GanServe.Onnx.GeneratorOutputShape(1, 28, 28), GanServe.Onnx.GeneratorGraph.OutputShape(weights));
    }

    [Fact]
    public void SpectralNorm_AfterPowerIterations_NormalisedWeightsHaveUnitSpectralNorm()
    {
        using var d = new DcganDiscriminator(8, spectralNorm: true);
        DcganInit.Apply(d);
        using var images = rand(4, 1, 28, 28) * 2 - 1;
        RefineSingularVectors(d, images, 60);

        var weights = d.parameters().Where(p => p.dim() > 1).ToList();
        var sigmas = d.SpectralSigmas();
        Assert.Equal(3, sigmas.Length);
        for (var i = 0; i < weights.Count; i++)
        {
            using var matrix = weights[i].detach().reshape(weights[i].shape[0], -1);
            var largest = linalg.svdvals(matrix)[0].item<float>();
            // σ estimated by the power iteration matches the true largest singular value,
            // so W/σ has spectral norm 1.
            Assert.InRange(largest / sigmas[i], 0.99, 1.01);
        }

        Assert.DoesNotContain(d.modules(), m => m is BatchNorm2d);
    }

    [Fact]
    public void SpectralNorm_DiscriminatorOutputIsInvariantToWeightScale()
    {
        using var d = new DcganDiscriminator(8, spectralNorm: true);
        DcganInit.Apply(d);
        using var images = rand(3, 1, 28, 28) * 2 - 1;
        RefineSingularVectors(d, images, 30);

        d.eval();
        using var before = d.forward(images).detach();
        using (no_grad())
        {
            foreach (var p in d.parameters().Where(p => p.dim() > 1))
            {
                p.mul_(7f); // σ scales with the weight, so W/σ is unchanged; biases stay
            }
        }

        // The stored singular vectors are still the right ones; only σ's scale changed.
        using var after = d.forward(images).detach();

        Assert.True(allclose(before, after, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void SpectralNorm_CheckpointRoundTrip_KeepsSingularVectors()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("sn-").FullName, "d.bin");
        using var images = rand(2, 1, 28, 28);
        using var d = new DcganDiscriminator(8, spectralNorm: true);
        RefineSingularVectors(d, images, 5);

        d.eval();
        using var expected = d.forward(images).detach();
        d.save(file);
        using var loaded = new DcganDiscriminator(8, spectralNorm: true);
        loaded.load(file);
        loaded.eval();

        using var actual = loaded.forward(images).detach();

        Assert.True(allclose(expected, actual, rtol: 1e-6, atol: 1e-7));
        Assert.Equal(d.SpectralSigmas(), loaded.SpectralSigmas());
    }

    [Fact]
    public void Recalibrate_RunningStatisticsAreTheAverageOverTheDrawnLatents()
    {
        using var generator = new DcganGenerator(6, 8);
        DcganInit.Apply(generator);
        const int batches = 3, batchSize = 32;

        BatchNormRecalibration.Recalibrate(generator, batches, batchSize, seed: 11);

        // The same draws, by hand: mean over batches of each batch's per-channel mean and unbiased variance.
        using var random = new TorchSharp.torch.Generator(11);
        using var meanSum = zeros(8);
        using var varSum = zeros(8);
        using (no_grad())
        {
            for (var i = 0; i < batches; i++)
            {
                using var z = randn([batchSize, 6], generator: random);
                using var x = generator.Project.forward(z).view(-1, 8, 7, 7);
                meanSum.add_(x.mean([0, 2, 3]));
                varSum.add_(x.var([0, 2, 3], unbiased: true));
            }
        }

        Assert.True(allclose(generator.ProjectNorm.running_mean!, meanSum / batches, rtol: 1e-4, atol: 1e-5));
        Assert.True(allclose(generator.ProjectNorm.running_var!, varSum / batches, rtol: 1e-4, atol: 1e-5));
        Assert.False(generator.training);
        Assert.Equal(0.1, generator.ProjectNorm.momentum); // the layer's own momentum is restored
    }

    [Fact]
    public void TrainAndExport_RefinedSpectralRun_PassesParityAndTheCardSaysWhatItIs()
    {
        var models = Directory.CreateTempSubdirectory("models-").FullName;

        var result = ExportCommand.Export(
            new ExportRequest { RunDirectory = RefinedRun.Value.Run, ModelsDirectory = models, Name = "tiny-refined", RecalibrationBatches = 2 },
            TextWriter.Null);

        Assert.InRange(result.MaxAbsDifference, 0, ExportCommand.Tolerance);
        var card = ModelCardJson.Load(result.CardPath);
        Assert.Contains("ConvTranspose(4→1, 3, stride 1)", card.Architecture, StringComparison.Ordinal);
        Assert.Contains("spectrally normalised", card.Architecture, StringComparison.Ordinal);
        Assert.Contains("recomputed", card.ExportedWeights, StringComparison.Ordinal);
        using var session = new InferenceSession(result.ModelPath);
        Assert.Equal(new[] { -1, 1, 28, 28 }, session.OutputMetadata["image"].Dimensions);
    }

    [Fact]
    public void TrainResume_RefinedSpectralRun_ContinuesFromItsCheckpoint()
    {
        var (run, options) = RefinedRun.Value;
        var copy = Directory.CreateTempSubdirectory("refine-resume-").FullName;
        foreach (var file in Directory.GetFiles(run, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(run, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        using var trainer = new GanTrainer(options with { OutputDirectory = copy, Epochs = 2, Resume = true }, TextWriter.Null);
        var summary = trainer.Train(FashionMnist.Load(SyntheticIdx.DataDirectory(), train: true));

        Assert.Equal(2, summary.Epochs);
        Assert.Equal(8, summary.Steps);
        Assert.True(double.IsFinite(summary.DiscriminatorLoss) && double.IsFinite(summary.GeneratorLoss));
    }

    [Fact]
    public void InitGenerator_WithWarmup_HoldsTheGivenGeneratorWhileTheDiscriminatorLearns()
    {
        var (run, options) = RefinedRun.Value;
        var source = Path.Combine(run, "checkpoints", "epoch-001");
        var dir = Directory.CreateTempSubdirectory("init-run-").FullName;
        var init = options with { OutputDirectory = dir, InitGeneratorFrom = source, DiscriminatorWarmupSteps = 4, Seed = 9 };

        using (var trainer = new GanTrainer(init, TextWriter.Null))
        {
            trainer.Train(FashionMnist.Load(SyntheticIdx.DataDirectory(), train: true));
        }

        // All 4 steps were warm-up: both generators equal the source's; the fresh D trained.
        Assert.Empty(Differences(options, Path.Combine(source, "generator-ema.bin"), Path.Combine(dir, "checkpoints", "epoch-001", "generator-ema.bin")));
        // The live generator's weights are held too; its BatchNorm running statistics follow the batches it draws.
        Assert.All(
            Differences(options, Path.Combine(source, "generator.bin"), Path.Combine(dir, "checkpoints", "epoch-001", "generator.bin")),
            name => Assert.Matches(@"Norm\.(running_mean|running_var|num_batches_tracked)$", name));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(source, "discriminator.bin")), File.ReadAllBytes(Path.Combine(dir, "checkpoints", "epoch-001", "discriminator.bin")));
        var rows = StepMetrics.ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.All(rows, r => Assert.Equal(0, r.GeneratorGradNorm));
        Assert.All(rows, r => Assert.True(double.IsFinite(r.GeneratorLoss)));

        // Past the warm-up the generator learns; the card says where it started.
        var later = Directory.CreateTempSubdirectory("init-run2-").FullName;
        using (var trainer = new GanTrainer(init with { OutputDirectory = later, DiscriminatorWarmupSteps = 2 }, TextWriter.Null))
        {
            trainer.Train(FashionMnist.Load(SyntheticIdx.DataDirectory(), train: true));
        }

        Assert.NotEqual(File.ReadAllBytes(Path.Combine(source, "generator.bin")), File.ReadAllBytes(Path.Combine(later, "checkpoints", "epoch-001", "generator.bin")));
        Assert.Equal([0, 0], StepMetrics.ReadCsv(Path.Combine(later, "metrics.csv")).Take(2).Select(r => r.GeneratorGradNorm).ToArray());
        var models = Directory.CreateTempSubdirectory("models-").FullName;
        var card = ModelCardJson.Load(ExportCommand.Export(new ExportRequest { RunDirectory = later, ModelsDirectory = models, Name = "tiny-init" }, TextWriter.Null).CardPath);
        Assert.Contains("epoch-001", card.Training!.InitialisedFrom, StringComparison.Ordinal);
        Assert.Equal(2, card.Training.Hyperparameters["discriminatorWarmupSteps"]);
    }

    [Fact]
    public void InitGenerator_FolderWithoutACheckpoint_IsAUsageError()
    {
        var empty = Directory.CreateTempSubdirectory("no-ckpt-").FullName;
        var cl = new CommandLine(["--init-generator", empty], new HashSet<string>());

        var ex = Assert.Throws<UsageException>(() => TrainCommand.Parse(cl));

        Assert.Contains("not a checkpoint folder", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--refine", "--g-width", "130" }, "multiple of 4")]
    [InlineData(new[] { "--g-width", "0" }, "--g-width must be positive")]
    public void TrainOptions_BadWidths_AreUsageErrors(string[] args, string message)
    {
        var cl = new CommandLine(args, new HashSet<string> { "refine", "spectral-norm" });

        var ex = Assert.Throws<UsageException>(() => TrainCommand.Parse(cl));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainOptions_ArchitectureFlags_AreParsed()
    {
        var cl = new CommandLine(["--refine", "--spectral-norm", "--g-width", "256", "--d-width", "32"], new HashSet<string> { "refine", "spectral-norm" });

        var options = TrainCommand.Parse(cl);

        Assert.True(options.GeneratorRefine);
        Assert.True(options.DiscriminatorSpectralNorm);
        Assert.Equal(256, options.GeneratorWidth);
        Assert.Equal(32, options.DiscriminatorWidth);
    }

    /// <summary>Training-mode forward passes: each refines the power-iteration estimates once.</summary>
    private static void RefineSingularVectors(DcganDiscriminator d, Tensor images, int passes)
    {
        d.train();
        for (var i = 0; i < passes; i++)
        {
            using var scope = NewDisposeScope();
            d.forward(images);
        }
    }

    /// <summary>Names of the state entries in which two saved generators differ.</summary>
    private static List<string> Differences(TrainOptions options, string first, string second)
    {
        using var a = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        using var b = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        a.load(first);
        b.load(second);
        var other = b.state_dict();
        return a.state_dict().Where(e => e.Value.to_type(ScalarType.Float64).sub(other[e.Key].to_type(ScalarType.Float64)).abs().max().item<double>() != 0).Select(e => e.Key).ToList();
    }

    private static void Randomise(DcganGenerator generator)
    {
        // Running statistics away from 0/1 so the folding is exercised.
        using var noGrad = no_grad();
        foreach (var norm in generator.modules().OfType<BatchNorm2d>())
        {
            norm.running_mean!.copy_(randn(norm.running_mean.shape) * 0.1);
            norm.running_var!.copy_(rand(norm.running_var.shape) + 0.5);
        }
    }
}
