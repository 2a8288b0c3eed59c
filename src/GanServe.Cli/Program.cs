using GanServe.Cli;
using Spectre.Console;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await GanServeCli.RunAsync(args, AnsiConsole.Console, clientFactory: null, cancellation.Token);
