using GanServe.LoadGen;
using GanServe.LoadGen.Load;
using GanServe.LoadGen.Sweep;

if (args.Length == 0 || args[0] is not ("run" or "sweep"))
{
    Console.Error.WriteLine(LoadCommandLine.Usage);
    return args.Length == 0 ? 0 : 2;
}

var sweep = args[0] == "sweep";
LoadSettings settings;
LoadCommandLine options;
try
{
    options = LoadCommandLine.Parse(args[1..]);
    settings = options.Settings(sweep);
    settings.Validate();
    if (sweep)
    {
        _ = options.SweepClients; // parsed lazily: a bad list must be a usage error, not a crash mid-run
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadCommandLine.Usage);
    return 2;
}

if (settings.UsesRaw && Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    // Before the first socket: run socket completions on the event thread rather than hop to the thread pool
    // per read, as a single-threaded event loop (wrk's) does. It roughly halved the client's CPU per request
    // at one client on the 2-core development machine (docs/benchmarks.md); the runtime reads it only from
    // the environment, once.
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    if (!sweep)
    {
        var report = await new LoadRunner(settings).RunAsync(stop.Token);
        Console.Write(report.ToTable());
        if (options.JsonPath is { } json)
        {
            report.WriteJson(json);
        }

        // Nothing answered at all (e.g. --model given and the server is down): that is not a measurement.
        if (report.Answered == 0 && report.TransportErrors > 0)
        {
            Console.Error.WriteLine($"{settings.Url}: no request was answered ({report.TransportErrors} transport errors).");
            return 3;
        }

        return 0;
    }

    var result = await SweepRunner.RunAsync(
        null,
        settings,
        options.SweepClients,
        options.LatencyBudget,
        progress: r => Console.WriteLine($"{r.Clients} clients: {r.ImagesPerSecond:0.0} images/s, p50 {r.LatencyOk.P50:0.000} ms, p99 {r.LatencyOk.P99:0.000} ms"),
        cancellationToken: stop.Token);
    Console.Write(result.ToTable());
    SweepPlot.Save(result.Points, result.KneeIndex, options.PlotPath, $"GanServe sweep: {settings.Url} ({result.Runs[0].Model}, {result.Runs[0].Mix})");
    Console.WriteLine($"plot: {options.PlotPath}");
    if (options.JsonPath is { } sweepJson)
    {
        result.WriteJson(sweepJson);
    }

    return 0;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"{settings.Url}: {e.Message}");
    return 3;
}

internal static partial class Program
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
}
