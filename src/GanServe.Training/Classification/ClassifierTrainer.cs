using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GanServe.Training.Data;
using GanServe.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanServe.Training.Classification;

/// <summary>
/// Trains <see cref="FashionClassifier"/> with Adam and cross-entropy, measures test accuracy after each epoch, and
/// keeps a checkpoint and a log line per epoch in the run folder.
/// </summary>
public static class ClassifierTrainer
{
    /// <summary>Header of the run's <c>log.csv</c>.</summary>
    public const string LogHeader = "epoch,step,train_loss,train_accuracy,test_accuracy,elapsed_seconds";

    /// <summary>Trains from the seed and returns the network (in eval mode) with its figures.</summary>
    public static ClassifierRun Train(ClassifierOptions options, FashionMnist train, FashionMnist test, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(log);
        var count = options.Limit > 0 ? Math.Min(options.Limit, train.Count) : train.Count;
        if (count < options.BatchSize)
        {
            throw new ArgumentException($"The batch size {options.BatchSize} exceeds the {count} training images.");
        }

        if (options.Threads > 0)
        {
            torch.set_num_threads(options.Threads);
        }

        Directory.CreateDirectory(options.OutputDirectory);
        File.WriteAllText(Path.Combine(options.OutputDirectory, "options.json"), JsonSerializer.Serialize(options, GanTrainer.SummaryJson) + "\n");

        torch.manual_seed(options.Seed);
        var model = new FashionClassifier(FashionMnist.ClassNames.Count);
        using var optimizer = optim.Adam(model.parameters(), options.LearningRate);
        var stepsPerEpoch = count / options.BatchSize;

        // Cosine decay of the learning rate to zero over the run: the last epoch fine-tunes with small steps, which
        // buys the accuracy of a longer constant-rate run in the few epochs a shared CPU allows.
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs * stepsPerEpoch);
        using var images = ImageTensor(train, count);
        using var labels = LabelTensor(train, count);
        using var testImages = ImageTensor(test, test.Count);
        using var testLabels = LabelTensor(test, test.Count);

        var clock = Stopwatch.StartNew();
        long step = 0;
        double loss = 0, accuracy = 0, testAccuracy = 0;
        using var logFile = new StreamWriter(Path.Combine(options.OutputDirectory, "log.csv"), append: false);
        logFile.WriteLine(LogHeader);
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();

            // Each epoch's shuffle has a generator of its own, seeded from the run's seed and the epoch.
            using var random = new torch.Generator((ulong)(((long)options.Seed * 100_003) + epoch));
            using var order = randperm(count, generator: random);
            double lossSum = 0;
            long correct = 0;
            for (var b = 0; b < stepsPerEpoch; b++)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, (long)b * options.BatchSize, options.BatchSize);
                var x = images.index_select(0, index);
                var y = labels.index_select(0, index);
                var logits = model.forward(x);
                var batchLoss = nn.functional.cross_entropy(logits, y);
                optimizer.zero_grad();
                batchLoss.backward();
                optimizer.step();
                schedule.step();
                step++;
                lossSum += batchLoss.item<float>();
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }

            loss = lossSum / stepsPerEpoch;
            accuracy = (double)correct / ((long)stepsPerEpoch * options.BatchSize);
            testAccuracy = Accuracy(model, testImages, testLabels);
            var elapsed = clock.Elapsed.TotalSeconds;
            logFile.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{epoch},{step},{loss:R},{accuracy:R},{testAccuracy:R},{elapsed:F1}"));
            logFile.Flush();
            var checkpoint = Path.Combine(options.OutputDirectory, "checkpoints", $"epoch-{epoch:D3}");
            Directory.CreateDirectory(checkpoint);
            model.save(Path.Combine(checkpoint, "classifier.bin"));
            log.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"epoch {epoch}/{options.Epochs}: step {step}, train loss {loss:F4}, train accuracy {accuracy:P2}, test accuracy {testAccuracy:P2}, {elapsed:F0}s"));
        }

        model.eval();
        return new ClassifierRun(model, count, test.Count, options.Epochs, step, clock.Elapsed.TotalSeconds, loss, accuracy, testAccuracy);
    }

    /// <summary>Share of <paramref name="images"/> whose argmax logit is their label, in eval mode.</summary>
    public static double Accuracy(FashionClassifier model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        const int Chunk = 1000;
        var wasTraining = model.training;
        model.eval();
        long correct = 0;
        var total = images.shape[0];
        using (no_grad())
        {
            for (long start = 0; start < total; start += Chunk)
            {
                using var scope = NewDisposeScope();
                var length = Math.Min(Chunk, total - start);
                var predicted = model.forward(images.narrow(0, start, length)).argmax(1);
                correct += predicted.eq(labels.narrow(0, start, length)).sum().item<long>();
            }
        }

        model.train(wasTraining);
        return (double)correct / total;
    }

    /// <summary>The first <paramref name="count"/> images as a [count, 1, 28, 28] tensor in [-1, 1].</summary>
    public static Tensor ImageTensor(FashionMnist data, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        return tensor(ScaledPixels(data, count), [count, 1, data.Images.Rows, data.Images.Columns]);
    }

    /// <summary>The first <paramref name="count"/> images' pixels in [-1, 1], image after image.</summary>
    public static float[] ScaledPixels(FashionMnist data, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        var size = data.Images.Rows * data.Images.Columns;
        var buffer = new float[(long)count * size];
        for (var i = 0; i < count; i++)
        {
            data.CopyScaled(i, buffer.AsSpan(i * size, size));
        }

        return buffer;
    }

    private static Tensor LabelTensor(FashionMnist data, int count) =>
        tensor(data.Labels.Take(count).Select(l => (long)l).ToArray(), [count]);
}

/// <summary>A trained classifier (in eval mode) and the figures of its last epoch.</summary>
public sealed record ClassifierRun(
    FashionClassifier Model,
    int TrainImages,
    int TestImages,
    int Epochs,
    long Steps,
    double WallTimeSeconds,
    double TrainLoss,
    double TrainAccuracy,
    double TestAccuracy);
