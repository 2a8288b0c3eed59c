using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GanServe.Core.Imaging;
using GanServe.Core.Latents;
using GanServe.Training.Data;
using GanServe.Training.Gan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Training;

/// <summary>
/// Trains the DCGAN: alternating discriminator and generator steps with Adam, an exponential
/// moving average of the generator, a checkpoint and a sample grid each epoch, per-step metrics.
/// </summary>
public sealed class GanTrainer : IDisposable
{
    /// <summary>Seeds of the fixed sample grid, drawn under the seed convention.</summary>
    public const int SampleCount = 64;

    private readonly TrainOptions _options;
    private readonly TextWriter _log;
    private readonly DcganGenerator _generator;
    private readonly DcganGenerator _averageGenerator;
    private readonly DcganDiscriminator _discriminator;
    private readonly WeightAverage _average;
    private readonly Adam _generatorOptimizer;
    private readonly Adam _discriminatorOptimizer;
    private readonly Tensor _sampleLatents;

    /// <summary>Builds the networks and optimisers; the seed fixes their initial weights.</summary>
    public GanTrainer(TrainOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = log;
        if (options.Threads > 0)
        {
            torch.set_num_threads(options.Threads);
        }

        torch.manual_seed(options.Seed);
        _generator = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        _discriminator = new DcganDiscriminator(options.DiscriminatorWidth, spectralNorm: options.DiscriminatorSpectralNorm);
        DcganInit.Apply(_generator);
        DcganInit.Apply(_discriminator);
        _averageGenerator = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        _average = new WeightAverage(_generator, _averageGenerator, options.EmaDecay);
        _generatorOptimizer = optim.Adam(_generator.parameters(), options.GeneratorLearningRate, options.Beta1, options.Beta2);
        _discriminatorOptimizer = optim.Adam(_discriminator.parameters(), options.DiscriminatorLearningRate, options.Beta1, options.Beta2);

        var latents = new float[SampleCount * options.LatentDim];
        for (var i = 0; i < SampleCount; i++)
        {
            SeedLatents.Fill((uint)i, latents.AsSpan(i * options.LatentDim, options.LatentDim));
        }

        _sampleLatents = tensor(latents, [SampleCount, options.LatentDim]);
    }

    /// <summary>The averaged generator (the weights exported for serving).</summary>
    public DcganGenerator AverageGenerator => _averageGenerator;

    /// <summary>The live generator.</summary>
    public DcganGenerator Generator => _generator;

    /// <summary>Runs training to the configured number of epochs (or steps) and returns the run's summary.</summary>
    public TrainingSummary Train(FashionMnist data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var paths = new RunPaths(_options.OutputDirectory);
        Directory.CreateDirectory(paths.Root);
        var count = _options.Limit > 0 ? Math.Min(_options.Limit, data.Count) : data.Count;
        if (count < _options.BatchSize)
        {
            throw new ArgumentException($"The batch size {_options.BatchSize} exceeds the {count} training images.");
        }

        var stepsPerEpoch = count / _options.BatchSize;
        var state = new CheckpointState();
        if (_options.Resume)
        {
            state = LoadNewestCheckpoint(paths) ?? throw new InvalidOperationException(
                $"--resume given but no checkpoint found under '{paths.Checkpoints}'.");
            _log.WriteLine($"Resuming after epoch {state.Epoch} (step {state.Step}).");
        }
        else if (_options.InitGeneratorFrom is { } init)
        {
            _generator.load(Path.Combine(init, "generator.bin"));
            _averageGenerator.load(Path.Combine(init, "generator-ema.bin"));
            _log.WriteLine($"Generator starts from {init}; discriminator and optimisers start fresh.");
        }

        // Written on resume too: the card records the settings the newest steps ran with (epochs, decay).
        File.WriteAllText(paths.Options, JsonSerializer.Serialize(_options, SummaryJson) + "\n");

        using var images = LoadImages(data, count);
        var metrics = OpenMetrics(paths, state.Step);
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(_log);
        var totalSteps = _options.MaxSteps > 0
            ? Math.Min(_options.MaxSteps, (long)_options.Epochs * stepsPerEpoch)
            : (long)_options.Epochs * stepsPerEpoch;
        var step = state.Step;
        var epoch = state.Epoch;
        var lastEpoch = new List<StepMetrics>();
        try
        {
            while (epoch < _options.Epochs && step < totalSteps)
            {
                epoch++;
                lastEpoch.Clear();

                // The shuffle and the latent draws of an epoch come from a generator of its own, seeded
                // from the run's seed and the epoch, so a resumed run repeats exactly what an
                // uninterrupted one would have done.
                using var random = new torch.Generator((ulong)(((long)_options.Seed * 100_003) + epoch));
                using var order = randperm(count, generator: random);
                for (var b = 0; b < stepsPerEpoch && step < totalSteps; b++)
                {
                    using var scope = NewDisposeScope();
                    using var index = order.narrow(0, (long)b * _options.BatchSize, _options.BatchSize);
                    var real = images.index_select(0, index);
                    step++;
                    SetLearningRates(step, stepsPerEpoch, totalSteps);
                    var m = Step(real, random, step, epoch, state.ElapsedSeconds + clock.Elapsed.TotalSeconds);
                    metrics.WriteLine(m.ToCsv());
                    lastEpoch.Add(m);
                    progress.Report(epoch, _options.Epochs, step - state.Step, totalSteps - state.Step, m);
                }

                progress.Finish();
                metrics.Flush();
                SaveSampleGrid(Path.Combine(paths.Samples, $"epoch-{epoch:D3}.png"));
                SaveCheckpoint(paths, new CheckpointState
                {
                    Epoch = epoch,
                    Step = step,
                    ElapsedSeconds = state.ElapsedSeconds + clock.Elapsed.TotalSeconds,
                });
                _log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"epoch {epoch}/{_options.Epochs}: step {step}, D loss {lastEpoch.Average(x => x.DiscriminatorLoss):F4}, G loss {lastEpoch.Average(x => x.GeneratorLoss):F4}, D(x) {lastEpoch.Average(x => x.MeanDReal):F3}, D(G(z)) {lastEpoch.Average(x => x.MeanDFake):F3}, {clock.Elapsed.TotalSeconds:F0}s"));
            }
        }
        finally
        {
            metrics.Dispose();
        }

        var summary = new TrainingSummary(
            epoch,
            step,
            state.ElapsedSeconds + clock.Elapsed.TotalSeconds,
            lastEpoch.Count == 0 ? 0 : lastEpoch.Average(x => x.DiscriminatorLoss),
            lastEpoch.Count == 0 ? 0 : lastEpoch.Average(x => x.GeneratorLoss),
            lastEpoch.Count == 0 ? 0 : lastEpoch.Average(x => x.MeanDReal),
            lastEpoch.Count == 0 ? 0 : lastEpoch.Average(x => x.MeanDFake));
        File.WriteAllText(paths.Summary, JsonSerializer.Serialize(summary, SummaryJson) + "\n");
        return summary;
    }

    /// <summary>Writes a grid of the averaged generator's images for seeds 0..63.</summary>
    public void SaveSampleGrid(string path)
    {
        using var scope = NewDisposeScope();
        _averageGenerator.eval();
        float[] pixels;
        using (no_grad())
        {
            pixels = _averageGenerator.forward(_sampleLatents).data<float>().ToArray();
        }

        _averageGenerator.train();
        var size = 28 * 28;
        var tiles = Enumerable.Range(0, SampleCount)
            .Select(i => PixelImage.FromPlanar(pixels.AsSpan(i * size, size), 1, 28, 28))
            .ToList();
        ImageEncoder.Save(ImageLayout.Upscale(ImageLayout.Grid(tiles, 8, padding: 2), 2), path);
    }

    /// <summary>Saves the averaged generator's weights alone (for export).</summary>
    public void SaveAverageGenerator(string path) => _averageGenerator.save(path);

    /// <inheritdoc />
    public void Dispose()
    {
        _sampleLatents.Dispose();
        _generatorOptimizer.Dispose();
        _discriminatorOptimizer.Dispose();
        _generator.Dispose();
        _averageGenerator.Dispose();
        _discriminator.Dispose();
    }

    /// <summary>JSON settings of the run's own files (options, state, summary).</summary>
    internal static JsonSerializerOptions SummaryJson { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private StepMetrics Step(Tensor real, torch.Generator random, long step, int epoch, double elapsed)
    {
        var batch = real.shape[0];
        var z = randn(batch, _options.LatentDim, generator: random);
        var fake = _generator.forward(z);

        // Discriminator: real images toward RealLabel (one-sided smoothing when < 1), fakes toward 0.
        var realLogits = _discriminator.forward(real);
        var fakeLogits = _discriminator.forward(fake.detach());
        var dLoss = nn.functional.binary_cross_entropy_with_logits(realLogits, full_like(realLogits, _options.RealLabel))
            + nn.functional.binary_cross_entropy_with_logits(fakeLogits, zeros_like(fakeLogits));
        _discriminatorOptimizer.zero_grad();
        dLoss.backward();
        _discriminatorOptimizer.step();

        if (step <= _options.DiscriminatorWarmupSteps)
        {
            // Warm-up: the generator is held while a fresh discriminator learns to tell its samples apart;
            // its loss is still recorded (no gradient taken).
            float heldLoss;
            using (no_grad())
            {
                using var held = GeneratorLossOf(_discriminator.forward(fake));
                heldLoss = held.item<float>();
            }

            return new StepMetrics(
                step,
                epoch,
                dLoss.item<float>(),
                heldLoss,
                realLogits.sigmoid().mean().item<float>(),
                fakeLogits.sigmoid().mean().item<float>(),
                0,
                elapsed);
        }

        // Generator: non-saturating −log D(G(z)) by default, or the minimax log(1 − D(G(z))).
        var logits = _discriminator.forward(fake);
        var gLoss = GeneratorLossOf(logits);
        _generatorOptimizer.zero_grad();
        gLoss.backward();
        var gradNorm = GradientNorm(_generator);
        _generatorOptimizer.step();
        _average.Update();

        return new StepMetrics(
            step,
            epoch,
            dLoss.item<float>(),
            gLoss.item<float>(),
            realLogits.sigmoid().mean().item<float>(),
            fakeLogits.sigmoid().mean().item<float>(),
            gradNorm,
            elapsed);
    }

    /// <summary>The generator's loss for D's logits on its samples, in the run's loss form.</summary>
    private Tensor GeneratorLossOf(Tensor logits) => _options.Loss == GeneratorLoss.NonSaturating
        ? nn.functional.binary_cross_entropy_with_logits(logits, ones_like(logits))
        : -nn.functional.binary_cross_entropy_with_logits(logits, zeros_like(logits));

    /// <summary>
    /// Linear decay after <see cref="TrainOptions.LearningRateDecayFromEpoch"/>; the rates are set on every step
    /// (not only changed), so a resumed run does not keep whatever rate the checkpoint's optimizer state held.
    /// </summary>
    private void SetLearningRates(long step, int stepsPerEpoch, long totalSteps)
    {
        var factor = LearningRateFactor(step, (long)_options.LearningRateDecayFromEpoch * stepsPerEpoch, totalSteps, _options.LearningRateDecayFromEpoch > 0);
        foreach (var group in _generatorOptimizer.ParamGroups)
        {
            group.LearningRate = _options.GeneratorLearningRate * factor;
        }

        foreach (var group in _discriminatorOptimizer.ParamGroups)
        {
            group.LearningRate = _options.DiscriminatorLearningRate * factor;
        }
    }

    /// <summary>
    /// The share of the base learning rate used at <paramref name="step"/> (1-based): 1 up to
    /// <paramref name="decayStartStep"/>, then falling linearly so the last step runs at 1/(steps of decay).
    /// </summary>
    public static double LearningRateFactor(long step, long decayStartStep, long totalSteps, bool decay)
    {
        if (!decay || step <= decayStartStep || totalSteps <= decayStartStep)
        {
            return 1.0;
        }

        return Math.Max(0, (double)(totalSteps - step + 1) / (totalSteps - decayStartStep));
    }

    private static double GradientNorm(nn.Module module)
    {
        double sum = 0;
        foreach (var p in module.parameters())
        {
            if (p.grad is { } grad)
            {
                sum += grad.square().sum().item<float>();
            }
        }

        return Math.Sqrt(sum);
    }

    private static Tensor LoadImages(FashionMnist data, int count)
    {
        var size = data.Images.Rows * data.Images.Columns;
        var buffer = new float[count * size];
        for (var i = 0; i < count; i++)
        {
            data.CopyScaled(i, buffer.AsSpan(i * size, size));
        }

        return tensor(buffer, [count, 1, data.Images.Rows, data.Images.Columns]);
    }

    private static StreamWriter OpenMetrics(RunPaths paths, long keepUpToStep)
    {
        // On resume keep the rows up to the checkpoint's step: later ones are about to be redone.
        var kept = new List<string>();
        if (keepUpToStep > 0 && File.Exists(paths.Metrics))
        {
            // A run that was killed can leave its last row half-written; ReadCsv skips exactly that row.
            kept.AddRange(StepMetrics.ReadCsv(paths.Metrics).Where(m => m.Step <= keepUpToStep).Select(m => m.ToCsv()));
        }

        var writer = new StreamWriter(paths.Metrics, append: false);
        writer.WriteLine(StepMetrics.CsvHeader);
        foreach (var line in kept)
        {
            writer.WriteLine(line);
        }

        return writer;
    }

    private void SaveCheckpoint(RunPaths paths, CheckpointState state)
    {
        var dir = Path.Combine(paths.Checkpoints, $"epoch-{state.Epoch:D3}");
        var temp = dir + ".partial";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        Directory.CreateDirectory(temp);
        _generator.save(Path.Combine(temp, "generator.bin"));
        _averageGenerator.save(Path.Combine(temp, "generator-ema.bin"));
        _discriminator.save(Path.Combine(temp, "discriminator.bin"));
        _generatorOptimizer.save_state_dict(Path.Combine(temp, "adam-generator.bin"));
        _discriminatorOptimizer.save_state_dict(Path.Combine(temp, "adam-discriminator.bin"));
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, SummaryJson));
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        // Rename last, so a checkpoint folder is either complete or absent.
        Directory.Move(temp, dir);
    }

    private CheckpointState? LoadNewestCheckpoint(RunPaths paths)
    {
        if (!Directory.Exists(paths.Checkpoints))
        {
            return null;
        }

        var newest = Directory.GetDirectories(paths.Checkpoints, "epoch-*")
            .Where(d => !d.EndsWith(".partial", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .LastOrDefault();
        if (newest is null)
        {
            return null;
        }

        _generator.load(Path.Combine(newest, "generator.bin"));
        _averageGenerator.load(Path.Combine(newest, "generator-ema.bin"));
        _discriminator.load(Path.Combine(newest, "discriminator.bin"));
        _generatorOptimizer.load_state_dict(Path.Combine(newest, "adam-generator.bin"));
        _discriminatorOptimizer.load_state_dict(Path.Combine(newest, "adam-discriminator.bin"));
        return JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(newest, "state.json")), SummaryJson)
            ?? throw new InvalidDataException($"Checkpoint state in '{newest}' is empty.");
    }
}

/// <summary>Where a run keeps what it writes.</summary>
public sealed record RunPaths(string Root)
{
    /// <summary>Checkpoint folders, one per epoch.</summary>
    public string Checkpoints => Path.Combine(Root, "checkpoints");

    /// <summary>Per-epoch sample grids.</summary>
    public string Samples => Path.Combine(Root, "samples");

    /// <summary>Per-step metrics.</summary>
    public string Metrics => Path.Combine(Root, "metrics.csv");

    /// <summary>The loss-curve plot.</summary>
    public string LossCurve => Path.Combine(Root, "loss-curve.png");

    /// <summary>The run's summary.</summary>
    public string Summary => Path.Combine(Root, "summary.json");

    /// <summary>The options the run was started with.</summary>
    public string Options => Path.Combine(Root, "options.json");
}

/// <summary>Where a checkpoint stands.</summary>
public sealed record CheckpointState
{
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; init; }

    /// <summary>Steps completed.</summary>
    public long Step { get; init; }

    /// <summary>Training seconds so far.</summary>
    public double ElapsedSeconds { get; init; }
}

/// <summary>The outcome of a run: its length and its last epoch's mean figures.</summary>
public sealed record TrainingSummary(
    int Epochs,
    long Steps,
    double WallTimeSeconds,
    double DiscriminatorLoss,
    double GeneratorLoss,
    double MeanDReal,
    double MeanDFake);
