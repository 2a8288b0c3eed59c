using GanServe.Server.Inference;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace GanServe.Server.Tests.Support;

/// <summary>
/// The server in memory over a temporary model repository; can swap the generator factory (fakes) and
/// the clock (<see cref="FakeTimeProvider"/>) and override any setting.
/// </summary>
internal sealed class GanServeFactory(
    string modelsPath,
    IImageGeneratorFactory? generators = null,
    TimeProvider? time = null,
    IReadOnlyDictionary<string, string?>? settings = null,
    Microsoft.Extensions.Logging.ILoggerProvider? logs = null) : WebApplicationFactory<Program>
{
    private IHost? _host;

    public IHost AppHost => _host ?? throw new InvalidOperationException("The host has not started.");

    public ModelCatalog Catalog => Services.GetRequiredService<ModelCatalog>();

    /// <summary>Waits for loading to finish (each version ready or failed).</summary>
    public async Task WaitUntilLoadedAsync()
    {
        _ = Server;
        await Services.GetRequiredService<ModelLoader>().Loading.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until the model's default version is ready (e.g. after a circuit closes).</summary>
    public async Task WaitUntilReadyAsync(string model)
    {
        await WaitUntilLoadedAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Catalog.Models[model].Default!.WaitUntilAsync(i => i.IsReady, timeout.Token);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("GanServe:ModelsPath", modelsPath);
        builder.UseSetting("GanServe:Inference:Provider", "Cpu");
        builder.UseSetting("GanServe:Inference:IntraOpThreads", "1");

        // In memory nothing probes readiness, and a drain delay on a fake clock would never end.
        builder.UseSetting("GanServe:DrainDelay", "00:00:00");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (generators is not null)
            {
                services.AddSingleton(generators);
            }

            if (time is not null)
            {
                services.AddSingleton(time);
            }

            if (logs is not null)
            {
                services.AddSingleton(logs);
            }
        });
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        _host = base.CreateHost(builder);
        return _host;
    }
}
