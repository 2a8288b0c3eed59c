using System.Globalization;
using System.Text;
using System.Text.Json;
using GanServe.LoadGen.Load;
using GanServe.LoadGen.Reporting;

namespace GanServe.LoadGen.Sweep;

/// <summary>A sweep's result: a closed-loop run per concurrency, the knee and the advice drawn from it.</summary>
public sealed record SweepResult(IReadOnlyList<LoadReport> Runs, IReadOnlyList<SweepPoint> Points, int KneeIndex, CapacityAdvice? Advice)
{
    /// <summary>The knee's point, or null when no point served anything.</summary>
    public SweepPoint? Knee => KneeIndex >= 0 ? Points[KneeIndex] : null;

    /// <summary>The sweep as a text table with the knee and the advice.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("clients  images/s   p50 ms   p99 ms  mean batch  not 200");
        for (var i = 0; i < Points.Count; i++)
        {
            var p = Points[i];
            text.AppendLine(c, $"{p.Clients,7}  {p.ImagesPerSecond,8:0.0}  {LoadReport.Format(p.P50Ms, "0.000"),7}  {LoadReport.Format(p.P99Ms, "0.000"),7}  {LoadReport.Format(p.MeanBatchSize, "0.00"),10}  {p.NotOk,7}{(i == KneeIndex ? "  <- knee" : string.Empty)}");
        }

        if (Advice is { } advice)
        {
            text.AppendLine("capacity advice for this machine:");
            foreach (var reason in advice.Reasons)
            {
                text.AppendLine(c, $"  {reason}");
            }

            foreach (var line in advice.EnvironmentVariables)
            {
                text.AppendLine(c, $"  {line}");
            }
        }

        return text.ToString();
    }

    /// <summary>Writes the result as JSON.</summary>
    public void WriteJson(string path)
    {
        LoadReport.CreateDirectoryFor(path);
        File.WriteAllText(path, JsonSerializer.Serialize(this, LoadReport.Json));
    }
}

/// <summary>Runs closed-loop load at each concurrency in turn and finds the knee.</summary>
public static class SweepRunner
{
    /// <summary>
    /// Runs <paramref name="settings"/> (its Clients and Rate replaced) at each of <paramref name="clients"/>, over
    /// <paramref name="client"/>, or when it is null over the runner's own transport (raw for http://).
    /// </summary>
    public static async Task<SweepResult> RunAsync(
        HttpClient? client,
        LoadSettings settings,
        IReadOnlyList<int> clients,
        TimeSpan latencyBudget,
        EngineProfile? engine = null,
        Action<LoadReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(clients);
        var runs = new List<LoadReport>();
        foreach (var n in clients.Order())
        {
            var level = settings with { Clients = n, Rate = null };
            var runner = client is null ? new LoadRunner(level) : new LoadRunner(client, level);
            var report = await runner.RunAsync(cancellationToken);
            progress?.Invoke(report);
            runs.Add(report);
        }

        return Summarise(runs, latencyBudget, engine);
    }

    /// <summary>Points, knee and advice of finished runs.</summary>
    public static SweepResult Summarise(IReadOnlyList<LoadReport> runs, TimeSpan latencyBudget, EngineProfile? engine = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var points = runs.Select(SweepPoint.From).ToArray();
        var knee = KneeDetector.Find(points);
        var advice = knee >= 0 ? CapacityAdvisor.Advise(points[knee], latencyBudget, engine, points.Max(p => p.MeanBatchSize)) : null;
        return new SweepResult(runs, points, knee, advice);
    }
}
