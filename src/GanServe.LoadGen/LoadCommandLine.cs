using System.Globalization;
using GanServe.LoadGen.Load;

namespace GanServe.LoadGen;

/// <summary>The options of <c>ganserve-load run</c> and <c>sweep</c>, parsed into settings.</summary>
public sealed class LoadCommandLine
{
    /// <summary>How to call it.</summary>
    public const string Usage = """
        usage: ganserve-load run   (--clients N | --rate R [--max-outstanding M]) [options]
               ganserve-load sweep [--clients 1,2,4,8,16,32,64] [--plot FILE] [--latency-budget-ms MS] [options]

          --url URL              server (default http://localhost:8080)
          --model NAME           model (default: the first of GET /v1/models)
          --duration S           measured seconds (default 10); --warmup S before it, not counted (default 2)
          --mix MIX              weighted requests, e.g. image:png=8,image:webp=1,generate:4=1 (default image:png);
                                 generate:N[:FORMAT] is POST /v1/models/{m}/generate with N random seeds
          --rate R               open loop: R requests/s at fixed times, latency from each one's due time;
                                 --max-outstanding M caps requests in flight (default 1024), the rest count as not sent
          --timeout-ms MS        sent as X-GanServe-Timeout
          --cancel-fraction F    cancel that share of requests after --cancel-after MS (default 1); counted as cancelled
          --seed N               seeds the random choices (default 1); image seeds span 0..4294967295
          --transport T          raw (default for http://: lean keep-alive sockets) or httpclient (.NET HttpClient; https://)
          --api-key KEY          sent as X-Api-Key
          --watch-pid PID        sample that process's resident memory (VmRSS) each second into the report
          --json FILE            also write the report as JSON
        """;

    private static readonly string[] Known =
    [
        "--url", "--model", "--clients", "--rate", "--duration", "--warmup", "--mix", "--timeout-ms", "--cancel-fraction",
        "--cancel-after", "--max-outstanding", "--seed", "--api-key", "--watch-pid", "--json", "--transport", "--plot", "--latency-budget-ms",
    ];

    private readonly Dictionary<string, string> _values;

    private LoadCommandLine(Dictionary<string, string> values) => _values = values;

    /// <summary>Where to write the JSON report, if anywhere.</summary>
    public string? JsonPath => _values.GetValueOrDefault("--json");

    /// <summary>Where a sweep writes its plot.</summary>
    public string PlotPath => _values.GetValueOrDefault("--plot") ?? "sweep.png";

    /// <summary>The latency budget that sizes the advised queue (default 500 ms).</summary>
    public TimeSpan LatencyBudget => TimeSpan.FromMilliseconds(Double("--latency-budget-ms") ?? 500);

    /// <summary>A sweep's concurrency levels (default 1, 2, 4, ..., 64).</summary>
    public IReadOnlyList<int> SweepClients => _values.TryGetValue("--clients", out var list)
        ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(PositiveInt)]
        : [1, 2, 4, 8, 16, 32, 64];

    /// <summary>Parses <c>--name value</c> pairs; throws <see cref="ArgumentException"/> on an unknown or valueless option.</summary>
    public static LoadCommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!Known.Contains(args[i]))
            {
                throw new ArgumentException($"Unknown option '{args[i]}'.");
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"Option {args[i]} needs a value.");
            }

            values[args[i]] = args[++i];
        }

        return new LoadCommandLine(values);
    }

    /// <summary>The settings of a run (for a sweep, without clients: the sweep sets them).</summary>
    public LoadSettings Settings(bool sweep)
    {
        try
        {
            return new LoadSettings
            {
                Url = new Uri(_values.GetValueOrDefault("--url") ?? "http://localhost:8080", UriKind.Absolute),
                Model = _values.GetValueOrDefault("--model"),
                Clients = sweep ? 1 : Int("--clients"),
                Rate = sweep ? null : Double("--rate"),
                Duration = TimeSpan.FromSeconds(Double("--duration") ?? 10),
                Warmup = TimeSpan.FromSeconds(Double("--warmup") ?? 2),
                Mix = RequestMix.Parse(_values.GetValueOrDefault("--mix") ?? "image:png"),
                ServerTimeoutMs = Int("--timeout-ms"),
                CancelFraction = Double("--cancel-fraction") ?? 0,
                CancelAfter = TimeSpan.FromMilliseconds(Double("--cancel-after") ?? 1),
                MaxOutstanding = Int("--max-outstanding") ?? 1024,
                Seed = Int("--seed") ?? 1,
                ApiKey = _values.GetValueOrDefault("--api-key"),
                WatchPid = Int("--watch-pid"),
                Transport = Transport(_values.GetValueOrDefault("--transport")),
            };
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    private static LoadTransport Transport(string? text) => text switch
    {
        null => LoadTransport.Auto,
        "raw" => LoadTransport.Raw,
        "httpclient" => LoadTransport.HttpClient,
        _ => throw new ArgumentException($"--transport: '{text}' is neither raw nor httpclient."),
    };

    private static int PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"'{text}' is not a positive integer.");

    private int? Int(string name) => _values.TryGetValue(name, out var text)
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name}: '{text}' is not an integer.")
        : null;

    private double? Double(string name) => _values.TryGetValue(name, out var text)
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new ArgumentException($"{name}: '{text}' is not a number.")
        : null;
}
