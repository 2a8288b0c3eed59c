using GanServe.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.Cli.Hosting;

/// <summary>Builds the typed client for the server a command names; tests hand in an in-memory handler.</summary>
public sealed class ClientFactory(Func<HttpMessageHandler>? primaryHandler = null)
{
    /// <summary>A client for <paramref name="url"/> with the client's retries and timeouts; dispose the scope after use.</summary>
    public ClientScope Create(Commands.ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var total = TimeSpan.FromSeconds(settings.TimeoutSeconds);
        var services = new ServiceCollection();
        var builder = services.AddGanServeClient(o =>
        {
            o.BaseAddress = settings.BaseAddress;
            o.ApiKey = settings.ApiKey;
            o.TotalTimeout = total;
            o.AttemptTimeout = total < o.AttemptTimeout ? total : o.AttemptTimeout;
        });
        if (primaryHandler is not null)
        {
            builder.ConfigurePrimaryHttpMessageHandler(primaryHandler);
        }

        var provider = services.BuildServiceProvider();
        return new ClientScope(provider, provider.GetRequiredService<GanServeClient>());
    }

    /// <summary>A client and the container that owns its handlers.</summary>
    public sealed class ClientScope(ServiceProvider provider, GanServeClient client) : IDisposable
    {
        /// <summary>The client.</summary>
        public GanServeClient Client { get; } = client;

        /// <inheritdoc />
        public void Dispose() => provider.Dispose();
    }
}
