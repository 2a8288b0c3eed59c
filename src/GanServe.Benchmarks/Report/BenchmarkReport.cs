using System.Globalization;
using System.Text;
using System.Text.Json;
using GanServe.LoadGen.Load;
using GanServe.LoadGen.Reporting;
using GanServe.LoadGen.Statistics;
using GanServe.LoadGen.Sweep;

namespace GanServe.Benchmarks.Report;

/// <summary>
/// The one benchmark command: the engine ceiling in process, then the real server as a child process, served
/// images/s and latency at a few client counts with batching on and with MaxBatchSize=1, repeated, as medians
/// with their spread, the ratios against the issue's goals, a concurrency sweep with its plot and capacity advice.
/// </summary>
public static class BenchmarkReport
{
    /// <summary>How to call it.</summary>
    public const string Usage = """
        usage: ganserve-bench report [--repeats 3] [--duration 10] [--warmup 2] [--engine-seconds 3] [--clients 1,16,64]
                                     [--batches 1,2,4,...,128] [--sweep 1,2,4,8,16,32,64] [--sweep-duration S]
                                     [--models DIR] [--model NAME] [--server PATH/GanServe.Server.dll] [--threads N]
                                     [--latency-budget-ms 500] [--out DIR]

        In one run on this machine: the model's ONNX session in process at each batch size (the engine ceiling),
        then the built server as a child process on a loopback port, loaded with random-seed PNG images by closed-loop
        clients, with batching on (MaxBatchSize default) and off (MaxBatchSize=1); each repeated --repeats times
        (figures are medians; spread = max - min as % of the median). Then a sweep with batching on, its plot and
        capacity advice. Prints the table, the ratios and the goals; writes report.json, report.md, sweep.json and
        sweep.png to --out (default benchmark-results). CPU execution provider for both engine and server.
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Runs the report.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var root = RepositoryRoot();
        var models = Path.GetFullPath(Option(args, "--models") ?? Path.Combine(root, "models"));
        var model = Option(args, "--model") ?? "fashion-dcgan";
        var server = Path.GetFullPath(Option(args, "--server") ?? DefaultServer(root));
        var repeats = Int(args, "--repeats", 3);
        var duration = TimeSpan.FromSeconds(Number(args, "--duration", 10));
        var warmup = TimeSpan.FromSeconds(Number(args, "--warmup", 2));
        var engineSeconds = TimeSpan.FromSeconds(Number(args, "--engine-seconds", 3));
        var sweepDuration = TimeSpan.FromSeconds(Number(args, "--sweep-duration", duration.TotalSeconds));
        var threads = Int(args, "--threads", 0);
        var clients = List(args, "--clients", [1, 16, 64]);
        var batches = List(args, "--batches", [1, 2, 4, 8, 16, 32, 64, 128]);
        var sweepClients = List(args, "--sweep", [1, 2, 4, 8, 16, 32, 64]);
        var budget = TimeSpan.FromMilliseconds(Number(args, "--latency-budget-ms", 500));
        var outDir = Path.GetFullPath(Option(args, "--out") ?? "benchmark-results");
        if (!File.Exists(server))
        {
            Console.Error.WriteLine($"The built server is missing at {server}; run `dotnet build -c Release` first or pass --server.");
            return 2;
        }

        Directory.CreateDirectory(outDir);
        Say($"ganserve-bench report: {model}, {Environment.ProcessorCount} CPUs, {repeats} repeats, engine {engineSeconds.TotalSeconds:0.#} s per batch, served {duration.TotalSeconds:0.#} s per cell after {warmup.TotalSeconds:0.#} s warm-up");

        // 1. The engine ceiling, in process, with no server running.
        var engineRuns = new List<EngineResult>();
        for (var r = 1; r <= repeats; r++)
        {
            Say($"engine run {r}/{repeats}");
            engineRuns.Add(EngineBenchmark.Measure(models, model, batches, engineSeconds, threads, row =>
                Say($"  batch {row.Batch,3}: {row.ImagesPerSecond,7:0} images/s, {row.MsPerPass:0.000} ms/pass")));
        }

        var engine = batches.Select(b => new EngineCell(
            b,
            RepeatSummary.Of([.. engineRuns.Select(e => e.Rows.Single(x => x.Batch == b).ImagesPerSecond)]),
            RepeatSummary.Of([.. engineRuns.Select(e => e.Rows.Single(x => x.Batch == b).MsPerPass)]))).ToArray();
        var best = engine.MaxBy(e => e.ImagesPerSecond.Median)!;
        var batch1 = engine.FirstOrDefault(e => e.Batch == 1) ?? engine.MinBy(e => e.Batch)!;

        // 2. Served over HTTP, batching on and off, alternating which goes first so drift hits both alike.
        var on = ServerSettings(threads, maxBatchSize: null);
        var off = ServerSettings(threads, maxBatchSize: 1);
        var samples = new Dictionary<(string Batching, int Clients), List<LoadReport>>();
        for (var r = 1; r <= repeats; r++)
        {
            foreach (var (batching, settings) in r % 2 == 1 ? new[] { ("on", on), ("off", off) } : [("off", off), ("on", on)])
            {
                Say($"served run {r}/{repeats}, batching {batching}");
                await using var child = await ServerChild.StartAsync(server, models, settings, TimeSpan.FromMinutes(2));
                foreach (var n in clients)
                {
                    var report = await RunLoadAsync(child, model, n, duration, warmup, r);
                    Say($"  {n,3} clients: {report.ImagesPerSecond,7:0} images/s, p50 {LoadReport.Format(report.LatencyOk.P50, "0.000")} ms, p99 {LoadReport.Format(report.LatencyOk.P99, "0.000")} ms, mean batch {LoadReport.Format(report.MeanBatchSize, "0.0")}, not 200: {report.Sent - report.ByStatus.GetValueOrDefault(200)}");
                    (samples.TryGetValue((batching, n), out var list) ? list : samples[(batching, n)] = []).Add(report);
                }
            }
        }

        var served = samples.Select(s => new ServedCell(
            s.Key.Batching,
            s.Key.Clients,
            RepeatSummary.Of([.. s.Value.Select(v => v.ImagesPerSecond)]),
            RepeatSummary.Of([.. s.Value.Select(v => v.LatencyOk.P50 ?? double.NaN)]),
            RepeatSummary.Of([.. s.Value.Select(v => v.LatencyOk.P99 ?? double.NaN)]),
            s.Value.Sum(v => v.Sent - v.ByStatus.GetValueOrDefault(200)),
            s.Value.Max(v => v.Memory?.MaxMiB))).OrderBy(s => s.Batching == "off").ThenBy(s => s.Clients).ToArray();

        // 3. The sweep (batching on) and the advice drawn from it, weighed with the engine's own batch curve.
        Say($"sweep, batching on: {string.Join(',', sweepClients)} clients, {sweepDuration.TotalSeconds:0.#} s each");
        var profile = new EngineProfile(engine.ToDictionary(e => e.Batch, e => e.ImagesPerSecond.Median), engine.ToDictionary(e => e.Batch, e => e.MsPerPass.Median));
        SweepResult sweep;
        await using (var child = await ServerChild.StartAsync(server, models, on, TimeSpan.FromMinutes(2)))
        {
            var settings = LoadSettingsFor(child, model, 1, sweepDuration, warmup, seed: 100);
            sweep = await SweepRunner.RunAsync(null, settings, sweepClients, budget, profile, r => Say($"  {r.Clients,3} clients: {r.ImagesPerSecond,7:0} images/s, p50 {LoadReport.Format(r.LatencyOk.P50, "0.000")} ms"));
        }

        var plotPath = Path.Combine(outDir, "sweep.png");
        SweepPlot.Save(sweep.Points, sweep.KneeIndex, plotPath, $"GanServe {model}: latency vs throughput, {Environment.ProcessorCount} CPUs, batching on");
        sweep.WriteJson(Path.Combine(outDir, "sweep.json"));

        // 4. Ratios and goals.
        var low = clients.Min();
        var high = clients.Max();
        var servedHigh = Cell(served, "on", high).ImagesPerSecond.Median;
        var offHigh = Cell(served, "off", high).ImagesPerSecond.Median;
        var p50Low = Cell(served, "on", low).P50Ms.Median;
        var gain = best.ImagesPerSecond.Median / batch1.ImagesPerSecond.Median;
        var onOff = servedHigh / offHigh;
        Ratio[] ratios =
        [
            new($"served@{high} / ceiling", servedHigh / best.ImagesPerSecond.Median, ">= 0.8", servedHigh / best.ImagesPerSecond.Median >= 0.8),
            new($"p50@{low} - forward@batch{batch1.Batch} (ms)", p50Low - batch1.MsPerPass.Median, "<= 0.3 ms", p50Low - batch1.MsPerPass.Median <= 0.3),
            new($"batching on / off @{high}", onOff, null, null),
            new($"engine gain batch{best.Batch} / batch{batch1.Batch}", gain, null, null),
            new("(on / off) / engine gain", onOff / gain, ">= 0.9", onOff / gain >= 0.9),
        ];

        var result = new ReportResult(
            DateTimeOffset.UtcNow,
            Environment.ProcessorCount,
            engineRuns[0].Provider,
            engineRuns[0].IntraOpThreads,
            model,
            engineRuns[0].Version,
            repeats,
            duration.TotalSeconds,
            warmup.TotalSeconds,
            engine,
            best.Batch,
            served,
            ratios,
            sweep);
        var markdown = Markdown(result);
        Console.WriteLine();
        Console.Write(markdown);
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.json"), JsonSerializer.Serialize(result, Json));
        await File.WriteAllTextAsync(Path.Combine(outDir, "report.md"), markdown);
        Say($"wrote {outDir}/report.json, report.md, sweep.json, sweep.png");
        return 0;
    }

    private static async Task<LoadReport> RunLoadAsync(ServerChild child, string model, int clients, TimeSpan duration, TimeSpan warmup, int repeat)
    {
        var settings = LoadSettingsFor(child, model, clients, duration, warmup, seed: (repeat * 1000) + clients);
        return await new LoadRunner(settings).RunAsync();
    }

    private static LoadSettings LoadSettingsFor(ServerChild child, string model, int clients, TimeSpan duration, TimeSpan warmup, int seed) => new()
    {
        Url = child.Url,
        Model = model,
        Clients = clients,
        Duration = duration,
        Warmup = warmup,
        Mix = RequestMix.Parse("image:png"),
        Seed = seed,
        WatchPid = child.ProcessId,
    };

    private static Dictionary<string, string> ServerSettings(int threads, int? maxBatchSize)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GanServe__Inference__Provider"] = "Cpu",
            ["GanServe__Inference__IntraOpThreads"] = threads.ToString(CultureInfo.InvariantCulture),
        };
        if (maxBatchSize is { } size)
        {
            settings["GanServe__Batching__MaxBatchSize"] = size.ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    private static ServedCell Cell(IEnumerable<ServedCell> cells, string batching, int clients) =>
        cells.Single(s => s.Batching == batching && s.Clients == clients);

    private static string Markdown(ReportResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"Engine ceiling, in process ({r.Provider}, intra-op threads {r.IntraOpThreads}, {r.Model} v{r.Version}), medians of {r.Repeats} runs (spread = max - min as % of median):");
        md.AppendLine();
        md.AppendLine("| batch | images/s | ms per pass | spread |");
        md.AppendLine("|---|---|---|---|");
        foreach (var e in r.Engine)
        {
            md.AppendLine(c, $"| {e.Batch}{(e.Batch == r.BestBatch ? " (best)" : string.Empty)} | {e.ImagesPerSecond.Median:0} | {e.MsPerPass.Median:0.000} | {e.ImagesPerSecond.SpreadPercent:0}% |");
        }

        md.AppendLine();
        md.AppendLine(c, $"Served over HTTP (random-seed PNG, closed loop, {r.DurationSeconds:0.#} s per cell after {r.WarmupSeconds:0.#} s warm-up), medians of {r.Repeats} runs:");
        md.AppendLine();
        md.AppendLine("| batching | clients | images/s | spread | p50 ms | spread | p99 ms | not 200 | server RSS max MiB |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var s in r.Served)
        {
            var label = s.Batching == "on" ? "on" : "off (MaxBatchSize=1)";
            md.AppendLine(c, $"| {label} | {s.Clients} | {s.ImagesPerSecond.Median:0} | {s.ImagesPerSecond.SpreadPercent:0}% | {s.P50Ms.Median:0.000} | {s.P50Ms.SpreadPercent:0}% | {s.P99Ms.Median:0.000} | {s.NotOk} | {LoadReport.Format(s.ServerMaxRssMiB, "0")} |");
        }

        md.AppendLine();
        md.AppendLine("| ratio | value | goal | met |");
        md.AppendLine("|---|---|---|---|");
        foreach (var ratio in r.Ratios)
        {
            md.AppendLine(c, $"| {ratio.Name} | {ratio.Value:0.000} | {ratio.Goal ?? "-"} | {(ratio.Met is { } met ? met ? "met" : "not met" : "-")} |");
        }

        md.AppendLine();
        md.AppendLine("Sweep, batching on:");
        md.AppendLine();
        md.AppendLine("```text");
        md.Append(r.Sweep.ToTable());
        md.AppendLine("```");
        return md.ToString();
    }

    private static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }

    // The server project's build output of the same configuration as this program (bin/Release/net10.0).
    private static string DefaultServer(string root)
    {
        var own = Path.Combine(root, "src", "GanServe.Benchmarks");
        var relative = Path.GetRelativePath(own, AppContext.BaseDirectory);
        var candidate = Path.Combine(root, "src", "GanServe.Server", relative, "GanServe.Server.dll");
        return relative.StartsWith("bin", StringComparison.Ordinal) ? candidate : Path.Combine(root, "src", "GanServe.Server", "bin", "Release", "net10.0", "GanServe.Server.dll");
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static double Number(string[] args, string name, double fallback) =>
        Option(args, name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static int Int(string[] args, string name, int fallback) =>
        Option(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static int[] List(string[] args, string name, int[] fallback) =>
        Option(args, name) is { } text ? [.. text.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))] : fallback;

    private sealed record EngineCell(int Batch, RepeatSummary ImagesPerSecond, RepeatSummary MsPerPass);

    private sealed record ServedCell(string Batching, int Clients, RepeatSummary ImagesPerSecond, RepeatSummary P50Ms, RepeatSummary P99Ms, long NotOk, double? ServerMaxRssMiB);

    private sealed record Ratio(string Name, double Value, string? Goal, bool? Met);

    private sealed record ReportResult(
        DateTimeOffset MeasuredAt,
        int Cpus,
        string Provider,
        int IntraOpThreads,
        string Model,
        int Version,
        int Repeats,
        double DurationSeconds,
        double WarmupSeconds,
        IReadOnlyList<EngineCell> Engine,
        int BestBatch,
        IReadOnlyList<ServedCell> Served,
        IReadOnlyList<Ratio> Ratios,
        SweepResult Sweep);
}
