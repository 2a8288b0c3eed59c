using System.Globalization;
using System.Text.Json;
using GanServe.Core.Cards;
using GanServe.Core.Imaging;
using GanServe.Core.Latents;
using GanServe.Onnx;
using GanServe.Training.Cli;
using GanServe.Training.Gan;
using GanServe.Training.Training;
using Microsoft.ML.OnnxRuntime;
using CheckpointState = GanServe.Training.Training.CheckpointState;

namespace GanServe.Training.Export;

/// <summary>
/// The <c>export</c> command: turns a checkpoint's averaged generator into
/// <c>models/&lt;name&gt;/&lt;version&gt;/model.onnx</c>, proves parity with TorchSharp, and writes the
/// model card and its sample grid.
/// </summary>
public static class ExportCommand
{
    /// <summary>The tolerance on the largest absolute difference between ONNX Runtime and TorchSharp.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Latents per batch when BatchNorm statistics are recomputed.</summary>
    public const int RecalibrationBatchSize = 256;

    /// <summary>Usage text.</summary>
    public const string Usage = """
        export [--run runs/fashion-dcgan] [--checkpoint DIR (default: newest in the run)] [--models models]
               [--name fashion-dcgan] [--version 1] [--latent-dim 100] [--width 128] [--live]
               [--recalibrate BATCHES]
               (--live: the live generator's weights instead of their moving average, e.g. for short runs;
                --recalibrate: recompute BatchNorm statistics for the exported weights from that many
                batches of 256 fresh latents, 0 = keep the live generator's running statistics)
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var run = cl.Text("run", "runs/fashion-dcgan");
        var request = new ExportRequest
        {
            RunDirectory = run,
            CheckpointDirectory = cl.Text("checkpoint"),
            ModelsDirectory = cl.Text("models", "models"),
            Name = cl.Text("name", "fashion-dcgan"),
            Version = cl.Int("version", 1),
            LatentDim = cl.Int("latent-dim", 100),
            Width = cl.Int("width", 128),
            Live = cl.Flag("live"),
            RecalibrationBatches = cl.Int("recalibrate", 0),
        };
        cl.RejectUnknown();
        var result = Export(request, Console.Out);
        Console.WriteLine($"Wrote {result.ModelPath} (parity {result.MaxAbsDifference:E2} ≤ {Tolerance:E0}), card {result.CardPath}.");
        return 0;
    }

    /// <summary>Exports a checkpoint; throws when parity fails, without writing the model.</summary>
    public static ExportResult Export(ExportRequest request, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        if (!ModelNames.IsValid(request.Name))
        {
            throw new UsageException($"Model name '{request.Name}' must match ^[a-z0-9][a-z0-9-]{{0,62}}$.");
        }

        if (request.Version <= 0)
        {
            throw new UsageException("--version must be a positive integer.");
        }

        var paths = new RunPaths(request.RunDirectory);
        var checkpoint = request.CheckpointDirectory ?? NewestCheckpoint(paths);
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(checkpoint, "state.json")), GanTrainer.SummaryJson)
            ?? throw new InvalidDataException($"'{checkpoint}/state.json' is empty.");
        var options = File.Exists(paths.Options)
            ? JsonSerializer.Deserialize<TrainOptions>(File.ReadAllText(paths.Options), GanTrainer.SummaryJson)!
            : new TrainOptions { LatentDim = request.LatentDim, GeneratorWidth = request.Width };
        log.WriteLine($"Exporting the {(request.Live ? "live" : "averaged")} generator of {checkpoint} (epoch {state.Epoch}, step {state.Step}).");

        using var generator = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        generator.load(Path.Combine(checkpoint, request.Live ? "generator.bin" : "generator-ema.bin"));
        generator.eval();
        if (request.RecalibrationBatches < 0)
        {
            throw new UsageException("--recalibrate must be 0 or a positive number of batches.");
        }

        if (request.RecalibrationBatches > 0)
        {
            BatchNormRecalibration.Recalibrate(generator, request.RecalibrationBatches, RecalibrationBatchSize, options.Seed);
            log.WriteLine($"Recomputed BatchNorm statistics from {request.RecalibrationBatches} batches of {RecalibrationBatchSize} latents.");
        }

        var weights = GeneratorExport.ToWeights(generator);
        var onnx = GeneratorGraph.ToBytes(weights);
        var difference = OnnxParity.MaxAbsDifference(generator, onnx, OnnxParity.BatchSizes);
        EnsureParity(difference);

        var modelDir = Path.Combine(request.ModelsDirectory, request.Name);
        var relativeFile = $"{request.Version.ToString(CultureInfo.InvariantCulture)}/model.onnx";
        var modelPath = Path.Combine(modelDir, relativeFile);
        Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
        File.WriteAllBytes(modelPath, onnx);

        var grid = SampleGrid(onnx, options.LatentDim);
        ImageEncoder.Save(grid, Path.Combine(modelDir, "sample-grid.png"));
        var assets = new List<string> { "sample-grid.png" };
        if (File.Exists(paths.LossCurve))
        {
            File.Copy(paths.LossCurve, Path.Combine(modelDir, "loss-curve.png"), overwrite: true);
            assets.Add("loss-curve.png");
        }

        var cardPath = Path.Combine(modelDir, "model.json");
        var card = File.Exists(cardPath) ? ModelCardJson.Load(cardPath) : new ModelCard { Name = request.Name, Kind = ModelCard.GeneratorKind };
        Describe(card, options, state, EpochMeans(paths, state), difference, request.Live, request.RecalibrationBatches);
        card.Versions[request.Version.ToString(CultureInfo.InvariantCulture)] = new ModelVersionInfo
        {
            File = relativeFile,
            Sha256 = ModelCardJson.Sha256Of(modelPath),
            Created = DateTimeOffset.UtcNow,
        };
        card.Assets = assets.Union(card.Assets.Where(a => File.Exists(Path.Combine(modelDir, a)))).ToList();
        card.Quality = null; // measured for the weights just replaced; `evaluate` measures the new ones
        ModelCardJson.Save(card, cardPath);
        return new ExportResult(modelPath, cardPath, difference);
    }

    /// <summary>Throws unless the difference is within <see cref="Tolerance"/> (NaN fails too).</summary>
    internal static void EnsureParity(double difference)
    {
        if (!(difference <= Tolerance))
        {
            throw new InvalidOperationException(
                $"Parity check failed: ONNX Runtime differs from TorchSharp by {difference:E3} (> {Tolerance:E0}); no model written.");
        }
    }

    /// <summary>Seeds 0..63 through the exported model in ONNX Runtime, as the server would draw them.</summary>
    internal static PixelImage SampleGrid(byte[] onnx, int latentDim)
    {
        const int count = 64;
        using var session = new InferenceSession(onnx);
        var latents = new float[count * latentDim];
        for (var i = 0; i < count; i++)
        {
            SeedLatents.Fill((uint)i, latents.AsSpan(i * latentDim, latentDim));
        }

        using var input = OrtValue.CreateTensorValueFromMemory(latents, [count, latentDim]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        int channels = (int)shape[1], height = (int)shape[2], width = (int)shape[3];
        var values = outputs[0].GetTensorDataAsSpan<float>();
        var size = channels * height * width;
        var tiles = new List<PixelImage>(count);
        for (var i = 0; i < count; i++)
        {
            tiles.Add(PixelImage.FromPlanar(values.Slice(i * size, size), channels, height, width));
        }

        return ImageLayout.Upscale(ImageLayout.Grid(tiles, 8, padding: 2), 2);
    }

    private static void Describe(ModelCard card, TrainOptions options, CheckpointState state, Dictionary<string, double> means, double difference, bool live, int recalibration)
    {
        card.Kind = ModelCard.GeneratorKind;
        card.Description ??= "DCGAN generator trained on Fashion-MNIST by GanServe.Training.";
        card.Data = "Fashion-MNIST training split: 60 000 grey 28×28 images (Debian package dataset-fashion-mnist)";
        card.Architecture = Architecture(options);
        card.LatentDim = options.LatentDim;
        card.Channels = 1;
        card.Width = 28;
        card.Height = 28;
        card.InputName = "z";
        card.OutputName = "image";
        card.OutputRange = [-1f, 1f];
        var statistics = recalibration > 0
            ? $"BatchNorm statistics recomputed for these weights from {recalibration * RecalibrationBatchSize} fresh latents and folded into the preceding layers"
            : "BatchNorm folded into the preceding layers using the running statistics";
        card.ExportedWeights = live
            ? $"the live generator's weights (not their moving average), {statistics}"
            : $"exponential moving average of the generator's weights (decay {options.EmaDecay.ToString(CultureInfo.InvariantCulture)}), {statistics}";
        card.Opset = GeneratorGraph.Opset;
        card.Parity = new ParityReport { MaxAbsDifference = difference, Tolerance = Tolerance, BatchSizes = [.. OnnxParity.BatchSizes] };
        card.Training = new TrainingReport
        {
            Loss = options.Loss == GeneratorLoss.NonSaturating ? "non-saturating" : "minimax",
            Epochs = state.Epoch,
            Steps = state.Step,
            BatchSize = options.BatchSize,
            WallTimeSeconds = Math.Round(state.ElapsedSeconds, 1),
            Seed = options.Seed,
            FinalLosses = means,
            Hyperparameters = new Dictionary<string, double>
            {
                ["learningRateGenerator"] = options.GeneratorLearningRate,
                ["learningRateDiscriminator"] = options.DiscriminatorLearningRate,
                ["adamBeta1"] = options.Beta1,
                ["adamBeta2"] = options.Beta2,
                ["emaDecay"] = options.EmaDecay,
                ["realLabel"] = options.RealLabel,
            },
        };
        if (options.DiscriminatorWarmupSteps > 0)
        {
            card.Training.Hyperparameters["discriminatorWarmupSteps"] = options.DiscriminatorWarmupSteps;
        }

        card.Training.InitialisedFrom = options.InitGeneratorFrom is { } init
            ? $"the generator of checkpoint {init.Replace('\\', '/')} (this run's epochs and steps come on top of that checkpoint's)"
            : null;
        if (options.LearningRateDecayFromEpoch > 0)
        {
            // Both rates fell linearly from this epoch to the run's last step.
            card.Training.Hyperparameters["learningRateDecayFromEpoch"] = options.LearningRateDecayFromEpoch;
        }
    }

    /// <summary>The card's one-line description of both networks.</summary>
    internal static string Architecture(TrainOptions options)
    {
        var w = options.GeneratorWidth;
        var generator = options.GeneratorRefine
            ? $"DCGAN generator: Linear({options.LatentDim}→{w}·7·7) → BatchNorm → ReLU → " +
              $"ConvTranspose({w}→{w / 2}, 4, stride 2) → BatchNorm → ReLU → ConvTranspose({w / 2}→{w / 4}, 4, stride 2) → BatchNorm → ReLU → " +
              $"ConvTranspose({w / 4}→1, 3, stride 1) → Tanh"
            : $"DCGAN generator: Linear({options.LatentDim}→{w}·7·7) → BatchNorm → ReLU → " +
              $"ConvTranspose({w}→{w / 2}, 4, stride 2) → BatchNorm → ReLU → ConvTranspose({w / 2}→1, 4, stride 2) → Tanh";
        var d = options.DiscriminatorWidth;
        var discriminator = options.DiscriminatorSpectralNorm
            ? $"discriminator: two strided convolutions ({d}, {d * 2} channels, LeakyReLU 0.2) → Linear → logit, every layer spectrally normalised"
            : $"discriminator: two strided convolutions ({d}, {d * 2} channels, LeakyReLU 0.2, BatchNorm) → Linear → logit";
        return generator + "; " + discriminator;
    }

    /// <summary>Mean figures over the checkpoint's last epoch, from the run's metrics.</summary>
    private static Dictionary<string, double> EpochMeans(RunPaths paths, CheckpointState state)
    {
        if (!File.Exists(paths.Metrics))
        {
            return [];
        }

        var rows = StepMetrics.ReadCsv(paths.Metrics).Where(m => m.Epoch == state.Epoch && m.Step <= state.Step).ToList();
        if (rows.Count == 0)
        {
            return [];
        }

        return new Dictionary<string, double>
        {
            ["discriminatorLoss"] = Math.Round(rows.Average(r => r.DiscriminatorLoss), 4),
            ["generatorLoss"] = Math.Round(rows.Average(r => r.GeneratorLoss), 4),
            ["meanDReal"] = Math.Round(rows.Average(r => r.MeanDReal), 4),
            ["meanDFake"] = Math.Round(rows.Average(r => r.MeanDFake), 4),
        };
    }

    private static string NewestCheckpoint(RunPaths paths)
    {
        var newest = Directory.Exists(paths.Checkpoints)
            ? Directory.GetDirectories(paths.Checkpoints, "epoch-*").Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
        return newest ?? throw new UsageException($"No checkpoint under '{paths.Checkpoints}'; train first or pass --checkpoint.");
    }
}

/// <summary>What to export and where.</summary>
public sealed record ExportRequest
{
    /// <summary>The training run folder.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>A specific checkpoint folder; null = the newest of the run.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Export the live generator instead of its weight average.</summary>
    public bool Live { get; init; }

    /// <summary>Batches of fresh latents to recompute BatchNorm statistics from (0 = keep the checkpoint's).</summary>
    public int RecalibrationBatches { get; init; }

    /// <summary>The model repository.</summary>
    public required string ModelsDirectory { get; init; }

    /// <summary>Model name.</summary>
    public required string Name { get; init; }

    /// <summary>Version number.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Latent size, when the run has no options file.</summary>
    public int LatentDim { get; init; } = 100;

    /// <summary>Generator width, when the run has no options file.</summary>
    public int Width { get; init; } = 128;
}

/// <summary>Where the export wrote and how close it was.</summary>
public sealed record ExportResult(string ModelPath, string CardPath, double MaxAbsDifference);
