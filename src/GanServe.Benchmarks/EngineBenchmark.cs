using System.Diagnostics;
using System.Globalization;
using GanServe.Core.Cards;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GanServe.Benchmarks;

/// <summary>
/// The engine ceiling: images per second of one model's ONNX Runtime session, in process, at each batch size,
/// through the same generator class, session options and pinned buffers the server uses.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>How to call it.</summary>
    public const string Usage = """
        usage: ganserve-bench engine [--models DIR] [--model NAME] [--batches 1,4,16,64] [--seconds S] [--threads N]

        Runs the model's ONNX session on zero latents for S seconds (default 3) at each batch size, after a
        warm-up, and prints images/s and milliseconds per forward pass. --threads sets intra-op threads
        (default: the CPUs the process may use, as the server does).
        """;

    /// <summary>Runs the benchmark and prints a table.</summary>
    public static int Run(string[] args)
    {
        var models = Option(args, "--models") ?? "models";
        var name = Option(args, "--model") ?? "fashion-dcgan";
        var seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var threads = int.Parse(Option(args, "--threads") ?? "0", CultureInfo.InvariantCulture);
        var batches = (Option(args, "--batches") ?? "1,4,16,64").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();

        var cardPath = Path.Combine(models, name, "model.json");
        var card = ModelCardJson.Load(cardPath);
        var version = card.LatestVersion ?? throw new InvalidDataException($"{cardPath} lists no version.");
        var file = Path.Combine(models, name, card.Versions[version.ToString(CultureInfo.InvariantCulture)].File);
        var options = Options.Create(new GanServeOptions { Inference = { Provider = ExecutionProviderChoice.Cpu, IntraOpThreads = threads } });
        var providers = new ExecutionProviders(options);
        var factory = new OnnxImageGeneratorFactory(providers, NullLogger<OnnxImageGeneratorFactory>.Instance);
        using var generator = factory.Create(new GeneratorLoadContext(name, version, file, File.ReadAllBytes(file), card));

        Console.WriteLine($"model {name} v{version} on {generator.Provider}, intra-op threads {providers.IntraOpThreads}, {seconds:0.#} s per batch size");
        Console.WriteLine("batch  images/s  ms/pass");
        foreach (var batch in batches)
        {
            var input = GC.AllocateArray<float>(batch * generator.LatentDim, pinned: true);
            var output = GC.AllocateArray<float>(batch * generator.Shape.Values, pinned: true);
            for (var i = 0; i < 5; i++)
            {
                generator.RunAsync(input, batch, output, CancellationToken.None).AsTask().Wait();
            }

            var passes = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                generator.RunAsync(input, batch, output, CancellationToken.None).AsTask().Wait();
                passes++;
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch,5}  {passes * batch / elapsed,8:0}  {elapsed * 1000 / passes,7:0.000}"));
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
