using GanServe.Cli;
using GanServe.Cli.Hosting;
using GanServe.Server.Models;
using GanServe.Server.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Testing;

namespace GanServe.Cli.Tests.Support;

/// <summary>
/// The real server in memory over the server tests' ONNX test generators (grey: latent 100, 1×28×28; rgb: latent 32,
/// 3×16×16), and a way to run the CLI against it. The server's Program is internal, so the factory is keyed on a
/// public type of the same assembly.
/// </summary>
public sealed class CliServer : IAsyncLifetime
{
    private readonly TestModelRepository _repository = TestModelRepository.WithOnnxModels();
    private Factory? _factory;

    internal WebApplicationFactory<Server.Models.ModelCatalog> Web => _factory ?? throw new InvalidOperationException("Not started.");

    /// <summary>Runs a command line against the server; returns the exit code and what it printed.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(200);
        var clients = new ClientFactory(() => Web.Server.CreateHandler());
        var code = await GanServeCli.RunAsync(args, console, clients, CancellationToken.None);
        return (code, console.Output);
    }

    public async Task InitializeAsync()
    {
        _factory = new Factory(_repository.Root);
        _ = _factory.Server;
        await _factory.Services.GetRequiredService<ModelLoader>().Loading.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _repository.Dispose();
    }

    private sealed class Factory(string modelsPath) : WebApplicationFactory<Server.Models.ModelCatalog>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("GanServe:ModelsPath", modelsPath);
            builder.UseSetting("GanServe:Inference:Provider", "Cpu");
            builder.UseSetting("GanServe:Inference:IntraOpThreads", "1");
            builder.UseSetting("GanServe:DrainDelay", "00:00:00");
        }
    }
}
