using GanServe.Cli.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli.Commands;

/// <summary><c>ganserve health</c>: exit 0 when ready, 4 when alive but not ready.</summary>
public sealed class HealthCommand(ClientFactory clients, IAnsiConsole console) : AsyncCommand<ServerSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var scope = clients.Create(settings);
        var live = await scope.Client.IsLiveAsync(cancellationToken).ConfigureAwait(false);
        var readiness = await scope.Client.GetReadinessAsync(cancellationToken).ConfigureAwait(false);
        console.MarkupLineInterpolated($"live: {(live ? "yes" : "no")}, status: {readiness.Status}");
        foreach (var (name, model) in readiness.Models)
        {
            var state = model.Ready ? "ready" : "not ready: " + (model.Reason ?? "unknown");
            console.MarkupLineInterpolated($"  {name} v{model.Version ?? "-"} ({model.Provider ?? "-"}): {state}");
        }

        return readiness.IsReady ? ExitCodes.Success : ExitCodes.NotReady;
    }
}
