using System.Globalization;
using GanServe.Cli.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli.Commands;

/// <summary><c>ganserve stats</c>.</summary>
public sealed class StatsCommand(ClientFactory clients, IAnsiConsole console) : AsyncCommand<ServerSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var scope = clients.Create(settings);
        var stats = await scope.Client.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"uptime {stats.UptimeSeconds:F0} s");
        var table = new Table().AddColumns("model", "requests", "images", "img/s 10s", "img/s 60s", "batches", "mean batch", "queue", "p50 ms", "p95 ms", "p99 ms", "rejected", "timed out");
        foreach (var (name, m) in stats.Models)
        {
            table.AddRow(
                Markup.Escape(name),
                Text(m.RequestsTotal),
                Text(m.ImagesTotal),
                Text(m.ImagesPerSecond10s),
                Text(m.ImagesPerSecond60s),
                Text(m.BatchesTotal),
                Text(m.MeanBatchSize),
                Text(m.QueueDepth),
                Text(m.LatencyMs.P50),
                Text(m.LatencyMs.P95),
                Text(m.LatencyMs.P99),
                Text(m.RejectedTotal),
                Text(m.TimedOutTotal));
        }

        console.Write(table);
        return ExitCodes.Success;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
