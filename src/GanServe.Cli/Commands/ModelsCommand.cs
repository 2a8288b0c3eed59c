using GanServe.Cli.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli.Commands;

/// <summary><c>ganserve models</c>.</summary>
public sealed class ModelsCommand(ClientFactory clients, IAnsiConsole console) : AsyncCommand<ServerSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var scope = clients.Create(settings);
        var models = await scope.Client.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        var table = new Table().AddColumns("name", "version", "latent", "image", "ready", "provider");
        foreach (var m in models)
        {
            table.AddRow(
                Markup.Escape(m.Name),
                Markup.Escape(m.Version ?? "-"),
                m.LatentDim?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                $"{m.Channels}x{m.Height}x{m.Width}",
                m.Ready ? "[green]yes[/]" : $"[red]no[/] {Markup.Escape(m.Reason ?? string.Empty)}",
                Markup.Escape(m.Provider ?? "-"));
        }

        console.Write(table);
        return ExitCodes.Success;
    }
}
