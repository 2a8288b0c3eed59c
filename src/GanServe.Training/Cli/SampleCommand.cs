using System.Text.Json;
using GanServe.Core.Imaging;
using GanServe.Core.Latents;
using GanServe.Training.Gan;
using GanServe.Training.Training;
using static TorchSharp.torch;

namespace GanServe.Training.Cli;

/// <summary>The <c>sample</c> command: a grid of a checkpoint's images for seeds under the seed convention.</summary>
public static class SampleCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        sample --checkpoint DIR [--out grid.png] [--seed 0] [--count 64] [--live] [--train-mode]
               (--live: the live generator instead of the average; --train-mode: BatchNorm on batch statistics)
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var checkpoint = cl.Text("checkpoint") ?? throw new UsageException("--checkpoint DIR is required.");
        var output = cl.Text("out", "samples.png");
        var first = cl.Int("seed", 0);
        var count = cl.Int("count", 64);
        var live = cl.Flag("live");
        var trainMode = cl.Flag("train-mode");
        cl.RejectUnknown();
        if (count is < 1 or > 1024)
        {
            throw new UsageException("--count must be between 1 and 1024.");
        }

        var optionsPath = Path.Combine(checkpoint, "..", "..", "options.json");
        var options = File.Exists(optionsPath)
            ? JsonSerializer.Deserialize<TrainOptions>(File.ReadAllText(optionsPath), GanTrainer.SummaryJson)!
            : new TrainOptions();
        using var generator = new DcganGenerator(options.LatentDim, options.GeneratorWidth, refine: options.GeneratorRefine);
        generator.load(Path.Combine(checkpoint, live ? "generator.bin" : "generator-ema.bin"));
        generator.train(trainMode);
        var dim = options.LatentDim;
        var latents = new float[count * dim];
        for (var i = 0; i < count; i++)
        {
            SeedLatents.Fill((uint)(first + i), latents.AsSpan(i * dim, dim));
        }

        float[] pixels;
        using (no_grad())
        using (NewDisposeScope())
        {
            pixels = generator.forward(tensor(latents, [count, dim])).data<float>().ToArray();
        }

        var tiles = Enumerable.Range(0, count).Select(i => PixelImage.FromPlanar(pixels.AsSpan(i * 784, 784), 1, 28, 28)).ToList();
        ImageEncoder.Save(ImageLayout.Upscale(ImageLayout.Grid(tiles, ImageLayout.DefaultColumns(count), padding: 2), 2), output);
        Console.WriteLine($"Wrote {output}.");
        return 0;
    }
}
