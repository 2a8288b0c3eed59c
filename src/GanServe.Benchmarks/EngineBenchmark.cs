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

        Measure(models, name, batches, TimeSpan.FromSeconds(seconds), threads, row =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Batch,5}  {row.ImagesPerSecond,8:0}  {row.MsPerPass,7:0.000}")),
            header: r =>
            {
                Console.WriteLine($"model {r.Model} v{r.Version} on {r.Provider}, intra-op threads {r.IntraOpThreads}, {seconds:0.#} s per batch size");
                Console.WriteLine("batch  images/s  ms/pass");
            });
        return 0;
    }

    /// <summary>
    /// Measures images/s at each batch size for <paramref name="perBatch"/> each (after five warm-up passes);
    /// <paramref name="header"/> sees the model before the first row, <paramref name="row"/> each row as it is measured.
    /// </summary>
    public static EngineResult Measure(string models, string name, IReadOnlyList<int> batches, TimeSpan perBatch, int threads, Action<EngineRow>? row = null, Action<EngineResult>? header = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var cardPath = Path.Combine(models, name, "model.json");
        var card = ModelCardJson.Load(cardPath);
        var version = card.LatestVersion ?? throw new InvalidDataException($"{cardPath} lists no version.");
        var file = Path.Combine(models, name, card.Versions[version.ToString(CultureInfo.InvariantCulture)].File);
        // The ceiling is the engine at its fastest: in process it has the cores to itself, so ONNX Runtime's own
        // default (intra-op threads spin between passes) is kept, although the server turns spinning off.
        var options = Options.Create(new GanServeOptions { Inference = { Provider = ExecutionProviderChoice.Cpu, IntraOpThreads = threads, AllowSpinning = true } });
        var providers = new ExecutionProviders(options);
        var factory = new OnnxImageGeneratorFactory(providers, NullLogger<OnnxImageGeneratorFactory>.Instance);
        using var generator = factory.Create(new GeneratorLoadContext(name, version, file, File.ReadAllBytes(file), card));

        var rows = new List<EngineRow>();
        var result = new EngineResult(name, version, generator.Provider, providers.IntraOpThreads, rows);
        header?.Invoke(result);
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
            while (clock.Elapsed < perBatch)
            {
                generator.RunAsync(input, batch, output, CancellationToken.None).AsTask().Wait();
                passes++;
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            var measured = new EngineRow(batch, passes * batch / elapsed, elapsed * 1000 / passes);
            rows.Add(measured);
            row?.Invoke(measured);
        }

        return result;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>One batch size's engine figures.</summary>
public sealed record EngineRow(int Batch, double ImagesPerSecond, double MsPerPass);

/// <summary>The engine benchmark of one model.</summary>
public sealed record EngineResult(string Model, int Version, string Provider, int IntraOpThreads, IReadOnlyList<EngineRow> Rows);
