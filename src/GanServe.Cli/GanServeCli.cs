using GanServe.Cli.Commands;
using GanServe.Cli.Hosting;
using GanServe.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GanServe.Cli;

/// <summary>The <c>ganserve</c> command line: models, generate, health, stats.</summary>
public static class GanServeCli
{
    /// <summary>Runs one command line and returns its exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, ClientFactory? clientFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        var services = new ServiceCollection();
        services.AddSingleton(clientFactory ?? new ClientFactory());
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("ganserve");
            config.ConfigureConsole(console);
            config.SetExceptionHandler((exception, _) => Report(console, exception));
            config.AddCommand<ModelsCommand>("models").WithDescription("List the generators the server serves.");
            config.AddCommand<GenerateCommand>("generate").WithDescription("Generate images for seeds into a folder, or one grid into a file.")
                .WithExample("generate", "--seeds", "0-15,42", "--out", "out/")
                .WithExample("generate", "--seeds", "0-63", "--grid", "--out", "grid.png");
            config.AddCommand<HealthCommand>("health").WithDescription("Liveness and readiness, per model (exit 4 when not ready).");
            config.AddCommand<StatsCommand>("stats").WithDescription("Throughput, batch sizes and latency per model.");
        });

        try
        {
            return await app.RunAsync(args, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Cancelled.[/]");
            return ExitCodes.Cancelled;
        }
    }

    private static int Report(IAnsiConsole console, Exception exception)
    {
        var (code, message) = exception switch
        {
            GanServeApiException api => (ExitCodes.ServerError, $"The server refused: {api.Message}"),
            HttpRequestException http => (ExitCodes.Unreachable, $"Cannot reach the server: {http.Message}"),
            TimeoutException or Polly.Timeout.TimeoutRejectedException => (ExitCodes.Unreachable, "The server did not answer in time."),
            Polly.CircuitBreaker.BrokenCircuitException => (ExitCodes.Unreachable, "The server failed repeatedly; the client's circuit breaker is open."),
            OperationCanceledException => (ExitCodes.Cancelled, "Cancelled."),
            CommandAppException => (ExitCodes.Usage, exception.Message),
            IOException or UnauthorizedAccessException => (ExitCodes.Usage, $"Cannot write the output: {exception.Message}"),
            _ => (ExitCodes.ServerError, exception.Message),
        };
        console.MarkupLineInterpolated($"[red]error:[/] {message}");
        return code;
    }
}
